/*
 * Validation and skip logic, pure (no DOM): walk the questionnaire over the raw answers with the
 * expression evaluator and decide what applies, what is offered, what is computed and what is
 * wrong. The same walk gives the cleaned answers that are saved and submitted.
 */
import { Expr } from "./expr.js";
import { MAX_ROWS, astOf } from "./model.js";
import { STRINGS } from "./strings.js";
import { clone, isNull, text, unanswered } from "./util.js";

function choiceContext(choice) {
  const context = {};
  for (const key of Object.keys(choice)) {
    if (key !== "label" && key !== "exclusive") context[key] = choice[key];
  }
  return context;
}

/*
 * Walk the questionnaire over the raw answers and return
 *   {answers, states, sections, problems}
 * answers: the answers to save (irrelevant, note and filtered-out answers removed, calculations
 * filled in, count-driven rosters sized); states: Map path key -> {relevant, value, offered,
 * error, rows}; sections: relevance per section; problems: expressions that failed.
 * Relevance is decided on the cleaned answers and the walk repeats until nothing changes, so
 * a question that depends on an answer that itself stopped applying is cleared too.
 */
export function analyse(model, raw, lang) {
  let answers = clone(raw || {}) || {};
  let result = null;
  for (let pass = 0; pass < 4; pass += 1) {
    const before = JSON.stringify(answers);
    result = walkAll(model, answers, lang);
    answers = result.answers;
    if (JSON.stringify(answers) === before) break;
  }
  return result;
}

function walkAll(model, input, lang) {
  const answers = clone(input);
  const out = { answers, states: new Map(), sections: [], problems: [] };
  const safe = (ast, ctx, what, fallback) => {
    try {
      return Expr.evaluate(ast, ctx);
    } catch (err) {
      out.problems.push({ id: what, message: String(err && err.message) });
      return fallback;
    }
  };
  const holds = (ast, ctx, what) => (ast ? Expr.truthy(safe(ast, ctx, what, false)) : true);

  const walkItems = (items, target, row, prefix, applies) => {
    for (const item of items) {
      const key = prefix + item.id;
      const ctx = { answers, row };
      if (item.type === "repeat") {
        const relevant = applies && holds(astOf(item, "relevant"), ctx, item.id);
        if (!relevant) {
          delete target[item.id];
          out.states.set(key, { relevant: false, rows: 0 });
          continue;
        }
        let rows = Array.isArray(target[item.id]) ? target[item.id] : [];
        rows = rows.map((r) => (r && typeof r === "object" && !Array.isArray(r) ? r : {}));
        let count = null;
        const countAst = astOf(item, "count");
        if (countAst) {
          const value = safe(countAst, ctx, item.id, null);
          count = typeof value === "number" && isFinite(value) ?
            Math.min(MAX_ROWS, Math.max(0, Math.trunc(value))) : 0;
          rows = rows.slice(0, count);
          while (rows.length < count) rows.push({});
        }
        if (rows.length) target[item.id] = rows;
        else delete target[item.id];
        out.states.set(key, { relevant: true, rows: rows.length, counted: countAst !== null });
        rows.forEach((r, i) => walkItems(item.items || [], r, r, key + "/" + i + "/", true));
        continue;
      }
      question(item, target, row, key, applies);
    }
  };

  const question = (q, target, row, key, applies) => {
    const ctx = { answers, row };
    const relevant = applies && holds(astOf(q, "relevant"), ctx, q.id);
    if (!relevant || q.type === "note") {
      delete target[q.id];
      out.states.set(key, { relevant });
      return;
    }
    if (q.type === "calculate") {
      const ast = astOf(q, "calculation");
      const value = ast ? safe(ast, ctx, q.id, null) : null;
      if (isNull(value)) delete target[q.id];
      else target[q.id] = value;
      out.states.set(key, { relevant: true, value: isNull(value) ? null : value });
      return;
    }
    const missingCodes = q.missing_codes || [];
    let value = target[q.id];
    let offered = null;
    if (["single", "multi", "yesno", "likert5", "grid"].includes(q.type)) {
      const filter = astOf(q, "choice_filter");
      offered = model.choices(q).filter((c) => !filter ||
        Expr.truthy(safe(filter, { answers, row, choice: choiceContext(c) }, q.id, false)));
      value = keepOffered(q, value, offered, missingCodes);
    }
    if (unanswered(value)) {
      delete target[q.id];
      value = null;
    } else {
      target[q.id] = value;
    }
    const state = { relevant: true, value, offered, error: null };
    const isMissing = typeof value === "number" && missingCodes.includes(value);
    if (value === null) {
      if (q.required) state.error = { kind: "required", message: STRINGS[lang].required };
    } else if (q.type === "grid" && !isMissing && q.required &&
      (q.rows || []).some((r) => isNull(value[r.id]))) {
      state.error = { kind: "required", message: STRINGS[lang].required };
    } else if (!isMissing && astOf(q, "constraint")) {
      const ok = holdsStrict(astOf(q, "constraint"), { answers, row, current: value }, q.id);
      if (!ok) {
        state.error = {
          kind: "constraint",
          message: text(q.constraint_message, lang) || STRINGS[lang].constraint,
        };
      }
    }
    out.states.set(key, state);
  };

  /* A constraint that cannot be evaluated is reported, not held against the enumerator. */
  const holdsStrict = (ast, ctx, what) => {
    try {
      return Expr.truthy(Expr.evaluate(ast, ctx));
    } catch (err) {
      out.problems.push({ id: what, message: String(err && err.message) });
      return true;
    }
  };

  model.sections.forEach((section, i) => {
    const relevant = holds(astOf(section, "relevant"), { answers, row: null }, section.id);
    out.sections[i] = relevant;
    walkItems(section.items || [], answers, null, "", relevant);
  });
  return out;
}

/* Drop codes the choice filter no longer offers (missing codes always stay). */
function keepOffered(q, value, offered, missingCodes) {
  if (isNull(value)) return value;
  const codes = new Set(offered.map((c) => c.code));
  const ok = (code) => codes.has(code) || missingCodes.includes(code);
  if (q.type === "multi") {
    if (typeof value === "number") return ok(value) ? value : null;
    if (!Array.isArray(value)) return value;
    return value.filter((code) => codes.has(code));
  }
  if (q.type === "grid") {
    if (typeof value === "number" && missingCodes.includes(value)) return value;
    if (typeof value !== "object" || Array.isArray(value)) return value;
    const kept = {};
    for (const rowId of Object.keys(value)) {
      if (!isNull(value[rowId]) && ok(value[rowId])) kept[rowId] = value[rowId];
    }
    return kept;
  }
  return typeof value === "number" && !ok(value) ? null : value;
}

/*
 * Read what was typed into a text box of the given type: {value} (null when empty) or {error}
 * with the message for text that is not a whole number, a number or a date. message(key) gives
 * the interface string in the form's language.
 */
export function parseAnswer(type, raw, message) {
  const value = raw.trim();
  if (value === "") return { value: null };
  if (type === "integer") {
    if (!/^[-+]?\d+$/.test(value)) return { error: message("integer") };
    return { value: parseInt(value, 10) };
  }
  if (type === "decimal") {
    const normal = value.replace(",", ".");
    if (!/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(normal)) return { error: message("decimal") };
    return { value: parseFloat(normal) };
  }
  if (type === "date") {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return { error: message("date") };
    return { value };
  }
  return { value: raw };
}
