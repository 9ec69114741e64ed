/*
 * The household's selection of the person for the individual interview, done by the app with
 * the Kish grid (questionnaires/FORMAT.md, "How the app uses a form"): the eligible members are
 * those of the assigned form's sex (HH24: 1 a man, 2 a woman) aged 18 to 64, listed from oldest
 * to youngest (equal ages by line); the last digit of the household number picks the grid's
 * row and the number of eligible members (8 and more as 8) its column; the cell is the
 * position in that list of the person selected, whose line answers HH25. The app answers HH25
 * once it can, while it is unanswered; the enumerator can still change it.
 */

/* Rows: last digit of the household number (0-9); columns: 1..8 eligible members. */
export const KISH_GRID = [
  [1, 2, 2, 4, 3, 6, 5, 4],
  [1, 1, 3, 1, 4, 1, 6, 5],
  [1, 2, 1, 2, 5, 2, 7, 6],
  [1, 1, 2, 3, 1, 3, 1, 7],
  [1, 2, 3, 4, 2, 4, 2, 8],
  [1, 1, 1, 1, 3, 5, 3, 1],
  [1, 2, 2, 2, 4, 6, 4, 2],
  [1, 1, 3, 3, 5, 1, 5, 3],
  [1, 2, 1, 4, 1, 2, 6, 4],
  [1, 1, 2, 1, 2, 3, 7, 5],
];

const SELECTION = { selected: "HH25", formType: "HH24", roster: "roster", sex: "M03", age: "M04",
  number: "household_no", minAge: 18, maxAge: 64 };

/* The line (from 1) the Kish grid selects, or null when it cannot yet be told. */
export function kishLine(answers) {
  const sex = answers[SELECTION.formType];
  const number = answers[SELECTION.number];
  const rows = answers[SELECTION.roster];
  if ((sex !== 1 && sex !== 2) || !Number.isInteger(number) || !Array.isArray(rows)) return null;
  const eligible = [];
  rows.forEach((member, i) => {
    const age = member ? member[SELECTION.age] : null;
    if (member && member[SELECTION.sex] === sex && Number.isInteger(age) &&
        age >= SELECTION.minAge && age <= SELECTION.maxAge) eligible.push({ line: i + 1, age });
  });
  if (!eligible.length) return null;
  eligible.sort((a, b) => b.age - a.age || a.line - b.line);
  const column = Math.min(eligible.length, 8) - 1;
  const position = KISH_GRID[Math.abs(number) % 10][column];
  return eligible[Math.min(position, eligible.length) - 1].line;
}

/* FormApp methods: answer the selection question with the grid when it is asked and empty. */
export class Selection {
  fillSelection() {
    const state = this.analysis.states.get(SELECTION.selected);
    if (!state || !state.relevant) return;
    if (state.value !== null && state.value !== undefined && state.value !== "") return;
    const entry = this.model.index.get(SELECTION.selected);
    if (!entry || entry.groups.length) return;
    const line = kishLine(this.analysis.answers || {});
    if (line === null) return;
    const offered = state.offered ? state.offered.map((c) => c.code) : null;
    if (offered && !offered.includes(line)) return;
    this.setAnswer([SELECTION.selected], line);
  }
}
