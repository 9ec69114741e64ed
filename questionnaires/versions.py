"""Compare two versions of a questionnaire and say which plan indicators stay comparable.

A question keeps its meaning across versions when everything a respondent hears or an analyst
counts is the same: type, wording (label and hint, both languages), answer codes and their
labels, grid rows, missing codes, skip logic (``relevant``), constraint, choice filter and
calculation. Only the export label (``variable_label``) may change freely. An indicator (or
any table cell) that reads a question whose meaning changed, or that a version lacks, is not
comparable between those versions: a trend across them would mix two definitions.

    >>> changes = question_changes(old, new)
    >>> changes["D3_04"]
    'changed'
    >>> report = plan_comparability(plan, {"household": old}, {"household": new})
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires.model import Question, Questionnaire

__all__ = [
    "Comparability",
    "plan_comparability",
    "question_changes",
    "question_signature",
]

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def question_signature(question: Question) -> str:
    """A hash of everything that gives the question its meaning (not its export label)."""
    choices = (
        [[c.code, c.label.vi, c.label.en] for c in question.choices]
        if question.choices is not None
        else None
    )
    meaning = {
        "type": "single" if question.type in ("likert5", "yesno") else question.type,
        "label": [question.label.vi, question.label.en],
        "hint": [question.hint.vi, question.hint.en] if question.hint else None,
        "choices": choices,
        "rows": [[r.id, r.label.vi, r.label.en] for r in question.rows],
        "missing_codes": list(question.missing_codes),
        "relevant": question.relevant,
        "constraint": question.constraint,
        "choice_filter": question.choice_filter,
        "calculation": question.calculation,
        "group": question.group,
    }
    text = json.dumps(meaning, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def question_changes(old: Questionnaire, new: Questionnaire) -> dict[str, str]:
    """Questions whose meaning differs between two versions: ``{id: kind}``.

    ``kind`` is ``changed`` (in both, meaning differs), ``removed`` (only in ``old``) or
    ``added`` (only in ``new``). Questions with the same meaning are left out.
    """
    before = {q.id: question_signature(q) for q in old.iter_questions()}
    after = {q.id: question_signature(q) for q in new.iter_questions()}
    out: dict[str, str] = {}
    for qid, signature in before.items():
        if qid not in after:
            out[qid] = "removed"
        elif after[qid] != signature:
            out[qid] = "changed"
    for qid in after:
        if qid not in before:
            out[qid] = "added"
    return out


@dataclass(frozen=True)
class Comparability:
    """Whether one indicator or table reads the same definitions in both versions.

    ``questions`` maps each question it reads whose meaning changed (or that one version lacks)
    to the kind of change; empty when comparable.
    """

    kind: str  # "indicator" or "table"
    id: str
    comparable: bool
    questions: Mapping[str, str]


def _strings(value: Any, in_list: bool = False) -> Iterator[tuple[str, bool]]:
    """Every string in a JSON fragment, and whether it stands in a list (an item list)."""
    if isinstance(value, str):
        yield value, in_list
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, True)


def _read_ids(spec: Any, known: set[str]) -> set[str]:
    """Question ids a plan fragment reads: ``${X}`` references and ids in item lists."""
    ids: set[str] = set()
    for text, in_list in _strings(spec):
        ids.update(_REFERENCE.findall(text))
        if in_list and text in known:
            ids.add(text)
    return ids


def plan_comparability(
    plan: Any,
    old_forms: Mapping[str, Questionnaire],
    new_forms: Mapping[str, Questionnaire],
) -> list[Comparability]:
    """Say, for every indicator and table of a table plan, whether it is comparable.

    ``plan`` is a :class:`questionnaires.plans.TablePlan` (or its raw JSON document);
    ``old_forms`` and ``new_forms`` map form ids to the two versions compared. A question id is
    looked up in the form of the indicator's source, or in every form for tables that name no
    single source.
    """
    doc = plan.document if hasattr(plan, "document") else plan
    sources: Mapping[str, Any] = doc.get("sources", {})
    changes: dict[str, dict[str, str]] = {}
    for form_id in set(old_forms) | set(new_forms):
        if form_id in old_forms and form_id in new_forms:
            changes[form_id] = question_changes(old_forms[form_id], new_forms[form_id])
    known = {
        q.id
        for forms in (old_forms, new_forms)
        for form in forms.values()
        for q in form.iter_questions()
    }

    def changed(ids: set[str], form_ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for form_id in form_ids:
            for qid in ids:
                kind = changes.get(form_id, {}).get(qid)
                if kind is not None:
                    found[qid] = kind
        return found

    def forms_of(source_id: str | None) -> list[str]:
        if source_id is not None and source_id in sources:
            return [sources[source_id]["form"]]
        return sorted(changes)

    kap = doc.get("kap", {})

    def derived(spec: Any) -> set[str]:
        """Items behind KAP scores an expression reads (``${kap_knowledge_score}`` …)."""
        ids: set[str] = set()
        for text, _ in _strings(spec):
            for name in _REFERENCE.findall(text):
                for part in ("knowledge", "attitude"):
                    if name.startswith(f"kap_{part}") and part in kap:
                        ids |= _read_ids(kap[part], known)
        return ids

    results: list[Comparability] = []
    indicator_changes: dict[str, dict[str, str]] = {}
    for ind_id, spec in doc.get("indicators", {}).items():
        found = changed(_read_ids(spec, known) | derived(spec), forms_of(spec.get("source")))
        indicator_changes[ind_id] = found
        results.append(Comparability("indicator", ind_id, not found, found))
    for table in doc.get("tables", []):
        found = dict(indicator_changes.get(table.get("indicator", ""), {}))
        own = {key: value for key, value in table.items() if key not in ("title", "notes")}
        found.update(changed(_read_ids(own, known), forms_of(table.get("source"))))
        if table.get("kind") in kap:
            found.update(changed(_read_ids(kap[table["kind"]], known), forms_of(kap.get("source"))))
        results.append(Comparability("table", table["id"], not found, found))
    return results
