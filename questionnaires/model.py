"""Hold a loaded questionnaire as frozen objects.

Submitted answers are checked against it by :mod:`questionnaires.validation`
(``Questionnaire.validate_answers``). The objects are built only by ``questionnaires.loader``
after every check has passed, so code that holds a Questionnaire may trust it: every referenced
choice list exists, every expression is compiled (the ASTs are cached on the objects), every
label has Vietnamese and English text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from questionnaires.codes import MISSING_CODES
from questionnaires.expressions import evaluate, truthy

if TYPE_CHECKING:
    from questionnaires.validation import FieldError

__all__ = [
    "AnalysisMeta",
    "Choice",
    "ChoiceList",
    "GridRow",
    "Handoff",
    "Interrupt",
    "Label",
    "Question",
    "Questionnaire",
    "RepeatGroup",
    "Section",
    "Selection",
    "QUESTION_TYPES",
    "MISSING_CODES",
]

Node = dict[str, Any]

QUESTION_TYPES = (
    "text",
    "integer",
    "decimal",
    "single",
    "multi",
    "yesno",
    "likert5",
    "date",
    "note",
    "calculate",
    "grid",
)
LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class Label:
    """A text in both languages; ``label["vi"]`` and ``label["en"]`` read it."""

    vi: str
    en: str

    def __getitem__(self, lang: str) -> str:
        if lang == "vi":
            return self.vi
        if lang == "en":
            return self.en
        raise KeyError(f"language {lang!r} is not one of vi, en")

    def get(self, lang: str, default: str | None = None) -> str | None:
        """Return the text in ``lang``, or ``default`` for a language the form does not have."""
        return self[lang] if lang in LANGUAGES else default

    def to_dict(self) -> dict[str, str]:
        """Return ``{"vi": ..., "en": ...}`` as in the JSON file."""
        return {"vi": self.vi, "en": self.en}


@dataclass(frozen=True)
class Choice:
    """One option of a choice list; ``attributes`` holds extra keys (e.g. ``district``)."""

    code: int
    name: str
    label: Label
    exclusive: bool = False
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        # ``attributes`` is a dict, so hash what identifies the choice.
        return hash((self.code, self.name, self.label))

    def context(self) -> dict[str, Any]:
        """Return what a ``choice_filter`` expression reads for this choice."""
        return {**self.attributes, "code": self.code, "name": self.name}

    def to_dict(self) -> dict[str, Any]:
        """Return the choice as it is written in the JSON file."""
        out: dict[str, Any] = {"code": self.code, "name": self.name, "label": self.label.to_dict()}
        if self.exclusive:
            out["exclusive"] = True
        out.update(self.attributes)
        return out


@dataclass(frozen=True)
class ChoiceList:
    """A named, ordered list of choices; iterate it for the choices."""

    name: str
    choices: tuple[Choice, ...]
    builtin: bool = False

    def __hash__(self) -> int:
        return hash((self.name, self.choices))

    def __iter__(self) -> Iterator[Choice]:
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)

    def by_code(self, code: Any) -> Choice | None:
        """Return the choice with ``code`` (None when there is none)."""
        for choice in self.choices:
            if choice.code == code and not isinstance(code, bool):
                return choice
        return None

    @property
    def codes(self) -> tuple[int, ...]:
        """Codes in list order."""
        return tuple(choice.code for choice in self.choices)

    def names(self) -> dict[str, int]:
        """Return ``{name: code}``, used to compile ``'party'`` to its code."""
        return {choice.name: choice.code for choice in self.choices}


@dataclass(frozen=True)
class GridRow:
    """One row of a grid question; exported as ``<grid id>_<row id>``."""

    id: str
    label: Label


@dataclass(frozen=True)
class Question:
    """One question; ``*_ast`` hold the compiled expressions (None when absent)."""

    id: str
    type: str
    label: Label
    section: str
    group: str | None = None
    hint: Label | None = None
    variable_label: Label | None = None
    required: bool = False
    missing_codes: tuple[int, ...] = ()
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: Label | None = None
    choices: ChoiceList | None = None
    choice_filter: str | None = None
    calculation: str | None = None
    rows: tuple[GridRow, ...] = ()
    identifying: bool = False
    sensitive: bool = False
    generate: str | None = None
    relevant_ast: Node | None = field(default=None, repr=False, compare=False)
    constraint_ast: Node | None = field(default=None, repr=False, compare=False)
    choice_filter_ast: Node | None = field(default=None, repr=False, compare=False)
    calculation_ast: Node | None = field(default=None, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash((self.id, self.type, self.section, self.group))

    @property
    def export_label(self) -> Label:
        """The variable label for exports: ``variable_label``, else the question's label."""
        return self.variable_label or self.label

    def offered_choices(
        self, answers: Mapping[str, Any], row: Mapping[str, Any] | None = None
    ) -> tuple[Choice, ...]:
        """Return the choices offered for these answers (after ``choice_filter``)."""
        if self.choices is None:
            return ()
        if self.choice_filter_ast is None:
            return self.choices.choices
        return tuple(
            choice
            for choice in self.choices
            if truthy(evaluate(self.choice_filter_ast, answers, row, None, choice.context()))
        )


@dataclass(frozen=True)
class RepeatGroup:
    """A repeat group (roster): its questions are answered once per row."""

    id: str
    unit: str
    label: Label
    section: str
    items: tuple[Question | RepeatGroup, ...]
    parent: str | None = None
    hint: Label | None = None
    count: str | None = None
    relevant: str | None = None
    count_ast: Node | None = field(default=None, repr=False, compare=False)
    relevant_ast: Node | None = field(default=None, repr=False, compare=False)

    type = "repeat"

    def __hash__(self) -> int:
        return hash((self.id, self.section, self.parent))

    def iter_questions(self) -> Iterator[Question]:
        """Every question of the group in order, nested groups included."""
        for item in self.items:
            if isinstance(item, RepeatGroup):
                yield from item.iter_questions()
            else:
                yield item


@dataclass(frozen=True)
class Section:
    """One page of the web form."""

    id: str
    title: Label
    items: tuple[Question | RepeatGroup, ...]
    relevant: str | None = None
    relevant_ast: Node | None = field(default=None, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash((self.id, self.title))


@dataclass(frozen=True)
class Interrupt:
    """The form's interrupt control: the pages that show it and the page it switches to.

    When someone comes near during a protected page, the interviewer presses the control; the
    form shows the ``alternate`` section (notes only, nothing recorded) instead, and returns to
    the same question when privacy is back. Interruptions are counted as paradata.
    """

    alternate: str
    sections: tuple[str, ...]
    label: Label
    resume_label: Label | None = None
    later_label: Label | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON for the browser (labels as ``{"vi", "en"}`` objects)."""
        out: dict[str, Any] = {
            "alternate": self.alternate,
            "sections": list(self.sections),
            "label": self.label.to_dict(),
        }
        if self.resume_label is not None:
            out["resume_label"] = self.resume_label.to_dict()
        if self.later_label is not None:
            out["later_label"] = self.later_label.to_dict()
        return out


@dataclass(frozen=True)
class Handoff:
    """What an interview of another unit, started for the selected person, is filled in with.

    ``prefill`` maps a question of the target form to the question of this form that answers it
    (top-level, or a question of the roster read on the selected member's row); ``line`` names
    the target question that gets the selected member's line (from 1), if any.
    """

    unit: str
    prefill: Mapping[str, str]
    line: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON for the browser."""
        return {
            "prefill": dict(self.prefill),
            **({"line": self.line} if self.line is not None else {}),
        }


@dataclass(frozen=True)
class Selection:
    """The form's rule for selecting one member of its roster and handing off to them.

    The eligible members are the rows of ``roster`` where ``eligible`` is true, listed from the
    highest ``oldest_first`` answer down (equal values by line); the last digit of the
    ``kish_number`` answer and the number of eligible members pick a cell of the Kish grid, the
    position in that list of the member whose line answers ``question``. ``handoff`` says, per
    unit of observation, what an interview of that unit started for the member begins with.
    ``grid`` is the Kish grid (``tables/kish_grid.json``, read by the loader), which the browser
    gets with the rule so that it keeps no copy; ``questionnaires.selection.kish_line`` applies
    it on the server.
    """

    question: str
    roster: str
    eligible: str
    oldest_first: str
    kish_number: str
    name: str | None = None
    handoff: tuple[Handoff, ...] = ()
    eligible_ast: Node | None = field(default=None, repr=False, compare=False)
    grid: tuple[tuple[int, ...], ...] = field(default=(), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON for the browser, with the eligibility expression's AST and the Kish grid."""
        return {
            "question": self.question,
            "roster": self.roster,
            "eligible": self.eligible,
            "oldest_first": self.oldest_first,
            "kish_number": self.kish_number,
            **({"name": self.name} if self.name is not None else {}),
            "handoff": {h.unit: h.to_dict() for h in self.handoff},
            "ast": {"eligible": self.eligible_ast},
            "grid": [list(row) for row in self.grid],
        }


@dataclass(frozen=True)
class AnalysisMeta:
    """Names of the design fields (weight, stratum, PSU, fpc) and the respondent's sex."""

    weight: str
    stratum: str
    psu: str
    fpc: str | None = None
    sex: str | None = None


@dataclass(frozen=True)
class Questionnaire:
    """A loaded, checked questionnaire (see FORMAT.md); build it with ``load_questionnaire``."""

    id: str
    version: str
    title: Label
    unit: str
    analysis: AnalysisMeta
    sections: tuple[Section, ...]
    choice_lists: Mapping[str, ChoiceList]
    content_hash: str
    languages: tuple[str, ...] = LANGUAGES
    default_language: str = "vi"
    sensitive: bool = False
    description: Label | None = None
    source: str = ""
    interrupt: Interrupt | None = None
    selection: Selection | None = None
    _questions: Mapping[str, Question] = field(default_factory=dict, repr=False, compare=False)
    _groups: Mapping[str, RepeatGroup] = field(default_factory=dict, repr=False, compare=False)

    def __hash__(self) -> int:
        return hash((self.id, self.version, self.content_hash))

    def question(self, question_id: str) -> Question:
        """Return the question with this id; KeyError names the questionnaire when absent."""
        try:
            return self._questions[question_id]
        except KeyError:
            raise KeyError(f"questionnaire {self.id!r} has no question {question_id!r}") from None

    def group(self, group_id: str) -> RepeatGroup:
        """Return the repeat group with this id."""
        try:
            return self._groups[group_id]
        except KeyError:
            raise KeyError(f"questionnaire {self.id!r} has no repeat group {group_id!r}") from None

    @property
    def groups(self) -> tuple[RepeatGroup, ...]:
        """Every repeat group in order, nested ones included."""
        return tuple(self._groups.values())

    def iter_questions(self) -> Iterator[Question]:
        """Every question in order, those inside repeat groups included."""
        for section in self.sections:
            for item in section.items:
                if isinstance(item, RepeatGroup):
                    yield from item.iter_questions()
                else:
                    yield item

    def validate_answers(self, answers: Any, lang: str = "vi") -> list[FieldError]:
        """Check one submission's answers as the server must; return every problem found.

        Checks unknown ids, answers to questions that do not apply, types, required answers,
        constraints (message in ``lang``), choices (and choice filters), missing codes, multi
        duplicates and exclusive options, grid rows, repeat row counts and calculated values.
        """
        from questionnaires.validation import validate_answers

        return validate_answers(self, answers, lang)

    def to_client_dict(self) -> dict[str, Any]:
        """Return the definition as JSON for the browser, with every expression's AST.

        Each item with expressions carries ``"ast": {"relevant": …, "constraint": …}``; choice
        lists include the built-in ``yesno`` and ``likert5``; defaults are spelled out.
        """
        return {
            "id": self.id,
            "version": self.version,
            "content_hash": self.content_hash,
            "languages": list(self.languages),
            "default_language": self.default_language,
            "title": self.title.to_dict(),
            **({"description": self.description.to_dict()} if self.description else {}),
            "unit": self.unit,
            "sensitive": self.sensitive,
            **({"interrupt": self.interrupt.to_dict()} if self.interrupt else {}),
            **({"selection": self.selection.to_dict()} if self.selection else {}),
            "analysis": {k: v for k, v in vars(self.analysis).items() if v is not None},
            "choice_lists": {
                name: [choice.to_dict() for choice in choice_list]
                for name, choice_list in self.choice_lists.items()
            },
            "missing_codes": {str(code): dict(meaning) for code, meaning in MISSING_CODES.items()},
            "sections": [
                {
                    "id": section.id,
                    "title": section.title.to_dict(),
                    **_expressions({"relevant": (section.relevant, section.relevant_ast)}),
                    "items": [_client_item(item) for item in section.items],
                }
                for section in self.sections
            ],
        }


def _expressions(pairs: Mapping[str, tuple[str | None, Node | None]]) -> dict[str, Any]:
    texts = {name: text for name, (text, _) in pairs.items() if text is not None}
    asts = {name: ast for name, (_, ast) in pairs.items() if ast is not None}
    return {**texts, "ast": asts} if asts else texts


def _client_item(item: Question | RepeatGroup) -> dict[str, Any]:
    if isinstance(item, RepeatGroup):
        out: dict[str, Any] = {
            "id": item.id,
            "type": "repeat",
            "unit": item.unit,
            "label": item.label.to_dict(),
        }
        if item.hint is not None:
            out["hint"] = item.hint.to_dict()
        out.update(
            _expressions(
                {
                    "count": (item.count, item.count_ast),
                    "relevant": (item.relevant, item.relevant_ast),
                }
            )
        )
        out["items"] = [_client_item(child) for child in item.items]
        return out
    out = {
        "id": item.id,
        "type": item.type,
        "label": item.label.to_dict(),
        "variable_label": item.export_label.to_dict(),
        "required": item.required,
        "missing_codes": list(item.missing_codes),
        "identifying": item.identifying,
        "sensitive": item.sensitive,
    }
    if item.group is not None:
        out["group"] = item.group
    if item.generate is not None:
        out["generate"] = item.generate
    if item.hint is not None:
        out["hint"] = item.hint.to_dict()
    if item.choices is not None:
        out["choices"] = item.choices.name
    if item.rows:
        out["rows"] = [{"id": r.id, "label": r.label.to_dict()} for r in item.rows]
    if item.constraint_message is not None:
        out["constraint_message"] = item.constraint_message.to_dict()
    out.update(
        _expressions(
            {
                "relevant": (item.relevant, item.relevant_ast),
                "constraint": (item.constraint, item.constraint_ast),
                "choice_filter": (item.choice_filter, item.choice_filter_ast),
                "calculation": (item.calculation, item.calculation_ast),
            }
        )
    )
    return out
