"""The register long format: one parser, ratios recomputed, bad rows refused by line and column."""

from __future__ import annotations

import pytest

from questionnaires.register import (
    REGISTER_COLUMNS,
    RegisterError,
    find_record,
    read_register,
    read_register_text,
)

HEADER = ",".join(REGISTER_COLUMNS)


def _text(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def test_values_are_recomputed_from_the_counts() -> None:
    records = read_register_text(
        _text(
            # 1,060 boys / 920 girls x 100 = 115.217…; the written 115.2 is within its rounding
            "MT4-CT1,2018,province,20,,1060,920,115.2,per_100,Sở Y tế,Báo cáo năm 2018,",
            # 3 deaths / 6,000 live births x 100,000 = 50; value left blank is computed
            "MT4-CT2,2018,province,20,,3,6000,,per_100000,Sở Y tế,Báo cáo năm 2018,",
            # 21 of 84 = 25%, women only, at district 178
            "MT1-CT1,2020,district,178,F,21,84,25,percent,Sở Nội vụ,Danh sách cấp ủy,",
            # a count with no denominator: the value is the numerator
            "MT7-CT3,2019,commune,06001,,2,,,count,Sở LĐTBXH,,two volunteers",
        )
    )
    assert [r.indicator for r in records] == ["MT4-CT1", "MT4-CT2", "MT1-CT1", "MT7-CT3"]
    assert records[0].value == pytest.approx(1060 / 920 * 100, rel=1e-12)
    assert records[1].value == pytest.approx(50.0, rel=1e-12)
    assert records[2].value == 25.0 and records[2].sex == "F" and records[2].level == "district"
    assert records[3].value == 2.0 and records[3].denominator is None
    assert records[3].area_code == "06001" and records[3].note == "two volunteers"
    assert records[0].sex == "total"


def test_a_value_that_disagrees_with_its_counts_is_refused_naming_the_line() -> None:
    with pytest.raises(RegisterError) as caught:
        read_register_text(
            _text(
                "MT4-CT1,2018,province,20,,1060,920,115.2,per_100,,,",
                # 21 / 84 = 25%, not 30
                "MT1-CT1,2020,province,20,,21,84,30,percent,,,",
            ),
            "register.csv",
        )
    (message,) = caught.value.messages
    assert message.startswith("register.csv: line 3, column value: 30 disagrees")
    assert "gives 25" in message
    assert caught.value.messages_vi[0].startswith("register.csv: dòng 3, cột value: 30 không khớp")


def test_rounding_is_judged_by_the_digits_written() -> None:
    # 1/3 = 33.333…: "33.3" and "33" are honest roundings, "33.4" is not
    assert read_register_text(_text("X,2018,province,20,,1,3,33.3,percent,,,"))[0].value == (
        pytest.approx(100 / 3)
    )
    read_register_text(_text("X,2018,province,20,,1,3,33,percent,,,"))
    with pytest.raises(RegisterError):
        read_register_text(_text("X,2018,province,20,,1,3,33.4,percent,,,"))


def test_every_bad_cell_is_reported_together() -> None:
    with pytest.raises(RegisterError) as caught:
        read_register_text(
            _text(
                "MT4-CT1,last year,region,20,,5,0,,per_100,,,",
                "MT4-CT2,2018,province,2O,X,,,,parts,,,",
                "MT4-CT4,2018,province,20,,abc,10,,percent,,,",
                "MT5-CT1,2018,province,20,,4,5,,percent,,,",
                "MT5-CT1,2018,province,20,,8,10,,percent,,,",
                "MT5-CT2,2018,province,20,,,,,percent,,,",
            )
        )
    text = "\n".join(caught.value.messages)
    assert "line 2, column period: 'last year' is not a year" in text
    assert "line 2, column level: 'region' is not province, district or commune" in text
    assert "line 3, column area_code: '2O'" in text
    assert "line 3, column sex: 'X'" in text
    assert "line 3, column unit: 'parts'" in text
    assert "line 4, column numerator: 'abc' is not a number" in text
    assert "line 6: MT5-CT1 2018 province 20 sex total is already on line 5" in text
    assert "line 7, column value: is empty and there are no counts" in text
    assert len(caught.value.messages_vi) == len(caught.value.messages)


def test_a_zero_denominator_and_the_old_two_column_file_are_refused(tmp_path) -> None:
    with pytest.raises(RegisterError, match="line 2, column denominator: is 0"):
        read_register_text(_text("MT4-CT1,2018,province,20,,5,0,,per_100,,,"))
    old = tmp_path / "register.csv"
    old.write_text("code,value\nMT4-CT1,112\n", encoding="utf-8")
    with pytest.raises(RegisterError, match="line 1: missing columns indicator, period"):
        read_register(old)


def test_find_record_takes_the_latest_period_unless_one_is_named() -> None:
    records = read_register_text(
        _text(
            "MT6-CT1,2017,province,20,,40,80,,percent,,,",
            "MT6-CT1,2019,province,20,,60,80,,percent,,,",
            "MT6-CT1,2019,district,178,,9,10,,percent,,,",
        )
    )
    assert find_record(records, "MT6-CT1").value == 75.0
    assert find_record(records, "MT6-CT1", period=2017).value == 50.0
    assert find_record(records, "MT6-CT1", level="district", area_code="178").value == 90.0
    assert find_record(records, "MT6-CT2") is None
