"""The placeholder rule of question texts (the browser runs the same cases in its tests)."""

from questionnaires.placeholders import fill_placeholders

CASES = [
    ("[TÊN] bao nhiêu tuổi?", {"member.name": "Hoa"}, "Hoa bao nhiêu tuổi?"),
    ("How old is [NAME]?", {"member.name": "Hoa"}, "How old is Hoa?"),
    ("[TÊN] là nam hay nữ?", {}, "[TÊN] là nam hay nữ?"),
    ("[TÊN] là nam hay nữ?", {"member.name": ""}, "[TÊN] là nam hay nữ?"),
    ("Nhiệm kỳ {round.party_term}", {"round.party_term": "2020–2025"}, "Nhiệm kỳ 2020–2025"),
    ("Nhiệm kỳ {round.party_term}", {}, "Nhiệm kỳ {round.party_term}"),
    ("{a} và {b}", {"a": 1}, "1 và {b}"),
]


def test_placeholders_are_filled_and_unknown_ones_kept() -> None:
    for text, values, expected in CASES:
        assert fill_placeholders(text, values) == expected
