/*
 * The selection of one member of the roster, done by the app with the Kish grid, by the rule the
 * questionnaire declares in its "selection" block (questionnaires/FORMAT.md, "Selection and
 * hand-off"; the app hard-codes no question): the eligible members are the roster's rows where
 * the rule's "eligible" expression is true, listed from the highest "oldest_first" answer down
 * (equal values by line); the last digit of the "kish_number" answer picks the grid's row and
 * the number of eligible members (8 and more as 8) its column; the cell is the position in that
 * list of the member whose line answers the rule's "question". The app answers it once it can,
 * while it is unanswered; the enumerator can still change it. A form without the block (the
 * versions before it) is answered by hand. The grid itself comes with the rule ("grid", from
 * questionnaires/tables/kish_grid.json): the app keeps no copy, and the server applies the same
 * grid (questionnaires/selection.py) to flag a recorded selection that differs from it.
 */
import { Expr } from "./expr.js";

/* Is the member eligible under the rule? An expression that cannot be evaluated says no. */
function isEligible(rule, answers, member) {
  try {
    return Expr.truthy(Expr.evaluate(rule.ast.eligible, { answers, row: member }));
  } catch (err) {
    return false;
  }
}

/* The line (from 1) the Kish grid selects under the form's selection rule (to_client_dict()'s
   "selection"), or null when it cannot yet be told. */
export function kishLine(answers, rule) {
  if (!rule || !rule.ast || !rule.ast.eligible || !Array.isArray(rule.grid)) return null;
  const number = answers[rule.kish_number];
  const rows = answers[rule.roster];
  if (!Number.isInteger(number) || !Array.isArray(rows)) return null;
  const eligible = [];
  rows.forEach((member, i) => {
    const order = member ? member[rule.oldest_first] : null;
    if (member && Number.isInteger(order) && isEligible(rule, answers, member)) {
      eligible.push({ line: i + 1, order });
    }
  });
  if (!eligible.length) return null;
  eligible.sort((a, b) => b.order - a.order || a.line - b.line);
  const column = Math.min(eligible.length, 8) - 1;
  const position = rule.grid[Math.abs(number) % 10][column];
  return eligible[Math.min(position, eligible.length) - 1].line;
}

/* FormApp methods: answer the selection question with the grid when it is asked and empty. */
export class Selection {
  fillSelection() {
    const rule = this.model.def.selection;
    if (!rule) return;
    const state = this.analysis.states.get(rule.question);
    if (!state || !state.relevant) return;
    if (state.value !== null && state.value !== undefined && state.value !== "") return;
    const entry = this.model.index.get(rule.question);
    if (!entry || entry.groups.length) return;
    const line = kishLine(this.analysis.answers || {}, rule);
    if (line === null) return;
    const offered = state.offered ? state.offered.map((c) => c.code) : null;
    if (offered && !offered.includes(line)) return;
    this.setAnswer([rule.question], line);
  }
}
