/*
 * The questionnaire as the browser sees it: Questionnaire.to_client_dict() JSON, indexed by item
 * id. Choice lists (including the built-in yesno and likert5) and the missing-code labels are read
 * from that JSON only; the browser keeps no copy of its own.
 */
import { text } from "./util.js";

/* A roster longer than this is a typo in its count question. */
export const MAX_ROWS = 100;

/* The compiled AST of an item's expression: to_client_dict() puts them under item.ast. */
export function astOf(item, field) {
  if (item && item.ast && item.ast[field] && typeof item.ast[field] === "object") {
    return item.ast[field];
  }
  const direct = item ? item[field] : null;
  return direct && typeof direct === "object" && direct.node ? direct : null;
}

export class Model {
  constructor(definition) {
    if (!definition || !Array.isArray(definition.sections)) {
      throw new Error("questionnaire definition has no sections");
    }
    this.def = definition;
    this.sections = definition.sections;
    this.lists = Object.assign({}, definition.choice_lists || {});
    this.missing = Object.assign({}, definition.missing_codes || {});
    /* id -> {item, section (index), groups: [group ids from outer to inner]} */
    this.index = new Map();
    this.sections.forEach((section, i) => this.indexItems(section.items || [], i, []));
  }

  indexItems(items, section, groups) {
    for (const item of items) {
      this.index.set(item.id, { item, section, groups });
      if (item.type === "repeat") this.indexItems(item.items || [], section, groups.concat(item.id));
    }
  }

  choices(question) {
    if (Array.isArray(question.choices)) return question.choices;
    if (question.type === "yesno") return this.lists[question.choices || "yesno"] || [];
    if (question.type === "likert5") return this.lists[question.choices || "likert5"] || [];
    return this.lists[question.choices] || [];
  }

  /* A missing code's label as the questionnaire gives it, shown with a capital letter. */
  missingLabel(code, lang) {
    const label = text(this.missing[code] || this.missing[String(code)], lang);
    return label.charAt(0).toUpperCase() + label.slice(1);
  }
}
