/*
 * Questions: one field per question type (text and numbers, choices, grids, calculations) and
 * the missing-code buttons, each with a sync(state) that brings it up to date.
 */
import { Expr } from "./expr.js";
import { fillPlaceholders, getIn, h, isNull, pathKey, setIn, text } from "./util.js";
import { parseAnswer } from "./validation.js";

/* FormApp methods that draw questions. */
export class Fields {
  /* A question's text in the form's language with its placeholders filled: the member's name
     for "[TÊN]" in a roster, and the values the page gives (the round's words). */
  questionText(label, path) {
    const values = Object.assign({}, this.placeholders || {});
    const name = this.memberNameFor(path);
    if (name) values["member.name"] = name;
    return fillPlaceholders(text(label, this.lang), values);
  }

  fieldView(q, path) {
    const key = pathKey(path);
    const id = "gs-" + key.replace(/[^A-Za-z0-9_-]/g, "-");
    const labelText = h("span", { class: "gs-label-text",
      text: this.questionText(q.label, path) });
    const label = h("div", { class: "gs-label", id: id + "-label" }, [
      h("span", { class: "gs-qid", text: q.id }), " ",
      labelText,
      q.required ? h("span", { class: "gs-required", "aria-hidden": "true", text: " *" }) : null,
      q.required ? h("span", { class: "gs-visually-hidden", text: " " + this.t("requiredMark") }) :
        null,
    ]);
    const message = h("p", { class: "gs-message", id: id + "-message" });
    const el = h("div", { class: "gs-field gs-type-" + q.type, "data-qid": q.id,
      "data-path": key, role: "group", "aria-labelledby": id + "-label" }, [label]);
    const hint = q.hint ? h("p", { class: "gs-hint", text: this.questionText(q.hint, path) }) :
      null;
    if (hint) el.appendChild(hint);
    const view = { key, el, q, path, offeredKey: null, invalid: null,
      named: this.memberNameFor(path) !== "" || /\[(TÊN|NAME)\]/.test(
        text(q.label, this.lang) + text(q.hint, this.lang)) };
    const input = this.inputFor(q, path, key, id, view);
    if (input) el.appendChild(input);
    const missing = (q.missing_codes || []).length && q.type !== "grid" &&
      q.type !== "calculate" && q.type !== "note" ? this.missingButtons(q, path, view) : null;
    if (missing) el.appendChild(missing);
    el.appendChild(message);
    view.update = (state) => {
      const relevant = Boolean(state && state.relevant);
      el.hidden = !relevant;
      if (!relevant) {
        el.classList.remove("gs-has-error");
        return;
      }
      if (view.sync) view.sync(state);
      if (view.named) {
        /* "[TÊN]": the member's name changes as it is typed. */
        const wanted = this.questionText(q.label, path);
        if (labelText.textContent !== wanted) labelText.textContent = wanted;
        if (hint) {
          const wantedHint = this.questionText(q.hint, path);
          if (hint.textContent !== wantedHint) hint.textContent = wantedHint;
        }
      }
      const text_ = this.messageFor(key, state);
      message.textContent = text_ || "";
      message.hidden = !text_;
      el.classList.toggle("gs-has-error", Boolean(text_));
      if (Boolean(text_) !== view.invalid) {
        view.invalid = Boolean(text_);
        for (const input of el.querySelectorAll("input")) {
          input.setAttribute("aria-invalid", view.invalid ? "true" : "false");
          input.setAttribute("aria-describedby", id + "-message");
        }
      }
    };
    return view;
  }

  inputFor(q, path, key, id, view) {
    switch (q.type) {
      case "note":
        return null;
      case "calculate":
        return this.calculateInput(view);
      case "text":
      case "integer":
      case "decimal":
      case "date":
        return this.textInput(q, path, key, id, view);
      case "single":
      case "yesno":
      case "likert5":
      case "multi":
        return this.choiceInput(q, path, key, view);
      case "grid":
        return this.gridInput(q, path, key, view);
      default:
        return h("p", { class: "gs-message", text: "?" + q.type });
    }
  }

  calculateInput(view) {
    const output = h("output", { class: "gs-calculated" });
    view.sync = (state) => {
      output.textContent = isNull(state.value) ? "—" : Expr.toText(state.value);
    };
    return output;
  }

  textInput(q, path, key, id, view) {
    const attrs = { id: id + "-input", class: "gs-input", "aria-labelledby": id + "-label",
      autocomplete: "off" };
    if (q.type === "integer") Object.assign(attrs, { type: "text", inputmode: "numeric" });
    else if (q.type === "decimal") Object.assign(attrs, { type: "text", inputmode: "decimal" });
    else if (q.type === "date") Object.assign(attrs, { type: "date" });
    else Object.assign(attrs, { type: "text" });
    if (q.required) attrs["aria-required"] = "true";
    const input = h("input", attrs);
    if (q.generate) input.readOnly = true; /* made by the tablet, never typed */
    const missingCodes = q.missing_codes || [];
    const onInput = () => {
      const parsed = parseAnswer(q.type, input.value, (key) => this.t(key));
      if (parsed.error) {
        this.formatErrors.set(key, parsed.error);
        this.serverErrors.delete(key);
        setIn(this.raw, path, null);
        this.changed();
        return;
      }
      this.formatErrors.delete(key);
      this.setAnswer(path, parsed.value);
    };
    input.addEventListener("input", onInput);
    input.addEventListener("change", onInput);
    view.sync = (state) => {
      const value = state.value;
      const codeMissing = typeof value === "number" && missingCodes.includes(value);
      const typing = document.activeElement === input;
      if (codeMissing && !typing) {
        input.disabled = true;
        input.value = "";
        return;
      }
      input.disabled = false;
      if (typing || this.formatErrors.has(key)) return;
      const shown = isNull(value) ? "" : q.type === "decimal" && this.lang === "vi" ?
        String(value).replace(".", ",") : String(value);
      if (input.value !== shown) input.value = shown;
    };
    return input;
  }
  choiceInput(q, path, key, view) {
    const multi = q.type === "multi";
    const labelId = "gs-" + key.replace(/[^A-Za-z0-9_-]/g, "-") + "-label";
    const box = h("div", { class: "gs-choices" + (q.type === "likert5" ? " gs-likert" : ""),
      role: multi ? null : "radiogroup", "aria-labelledby": multi ? null : labelId,
      "aria-required": q.required && !multi ? "true" : null });
    const all = this.model.choices(q);
    const drawOptions = (offered) => {
      box.innerHTML = "";
      for (const choice of offered) {
        const input = h("input", { type: multi ? "checkbox" : "radio", name: key,
          value: String(choice.code), class: "gs-choice-input" });
        input.addEventListener("change", () => this.choose(q, path, choice, input.checked));
        box.appendChild(h("label", { class: "gs-choice", "data-code": String(choice.code) },
          [input, h("span", { class: "gs-choice-label", text: text(choice.label, this.lang) })]));
      }
    };
    const empty = h("p", { class: "gs-hint gs-no-choices", text: this.t("noChoices") });
    const clear = multi ? null : h("button", { type: "button", class: "gs-btn gs-clear",
      text: this.t("clear"), onclick: () => this.setAnswer(path, null) });
    const wrap = h("div", { class: "gs-choice-wrap" }, [box, empty, clear]);
    view.sync = (state) => {
      const offered = state.offered || all;
      empty.hidden = offered.length > 0;
      if (clear) clear.hidden = q.required || isNull(state.value) ||
        (q.missing_codes || []).includes(state.value);
      const offeredKey = offered.map((c) => c.code).join(",");
      if (offeredKey !== view.offeredKey) {
        view.offeredKey = offeredKey;
        drawOptions(offered);
      }
      const value = state.value;
      const isMissing = typeof value === "number" && (q.missing_codes || []).includes(value);
      for (const input of box.querySelectorAll("input")) {
        const code = Number(input.value);
        input.checked = !isMissing && (multi ? Array.isArray(value) && value.includes(code) :
          value === code);
        input.closest(".gs-choice").classList.toggle("gs-checked", input.checked);
      }
      box.classList.toggle("gs-muted", isMissing);
    };
    return wrap;
  }

  choose(q, path, choice, checked) {
    if (q.type !== "multi") {
      this.setAnswer(path, checked ? choice.code : null);
      return;
    }
    const current = getIn(this.raw, path);
    let list = Array.isArray(current) ? current.slice() : [];
    const all = this.model.choices(q);
    const exclusive = new Set(all.filter((c) => c.exclusive).map((c) => c.code));
    if (checked) {
      list = choice.exclusive ? [choice.code] :
        list.filter((code) => !exclusive.has(code)).concat(choice.code);
    } else {
      list = list.filter((code) => code !== choice.code);
    }
    const order = all.map((c) => c.code);
    list = Array.from(new Set(list)).sort((a, b) => order.indexOf(a) - order.indexOf(b));
    this.setAnswer(path, list.length ? list : null);
  }

  missingButtons(q, path, view) {
    const box = h("div", { class: "gs-missing" });
    const buttons = q.missing_codes.map((code) => {
      const button = h("button", { type: "button", class: "gs-btn gs-missing-btn",
        "data-code": String(code), "aria-pressed": "false",
        text: code + " · " + this.model.missingLabel(code, this.lang) });
      button.addEventListener("click", () => {
        const pressed = getIn(this.raw, path) === code;
        this.formatErrors.delete(pathKey(path));
        this.setAnswer(path, pressed ? null : code);
      });
      box.appendChild(button);
      return button;
    });
    const inner = view.sync;
    const syncMissing = (state) => {
      for (const button of buttons) {
        const on = state.value === Number(button.dataset.code);
        button.setAttribute("aria-pressed", on ? "true" : "false");
        button.classList.toggle("gs-pressed", on);
      }
    };
    view.sync = (state) => {
      if (inner) inner(state);
      syncMissing(state);
    };
    return box;
  }

  gridInput(q, path, key, view) {
    const box = h("div", { class: "gs-grid" });
    const missingCodes = q.missing_codes || [];
    const all = this.model.choices(q);
    const cells = [];
    for (const gridRow of q.rows || []) {
      const options = h("div", { class: "gs-choices" });
      const name = key + "/" + gridRow.id;
      const entries = all.map((c) => ({ code: c.code, label: text(c.label, this.lang) }))
        .concat(missingCodes.map((code) => ({ code, missing: true,
          label: code + " · " + this.model.missingLabel(code, this.lang) })));
      for (const entry of entries) {
        const input = h("input", { type: "radio", name, value: String(entry.code),
          class: "gs-choice-input" });
        input.addEventListener("change", () => {
          const current = getIn(this.raw, path);
          const value = current && typeof current === "object" && !Array.isArray(current) ?
            Object.assign({}, current) : {};
          value[gridRow.id] = entry.code;
          this.setAnswer(path, value);
        });
        const label = h("label", { class: "gs-choice" + (entry.missing ? " gs-choice-missing" :
          ""), "data-code": String(entry.code) },
        [input, h("span", { class: "gs-choice-label", text: entry.label })]);
        options.appendChild(label);
        cells.push({ rowId: gridRow.id, input, label, code: entry.code });
      }
      box.appendChild(h("div", { class: "gs-grid-row", "data-grid-row": gridRow.id }, [
        h("div", { class: "gs-grid-row-label", text: text(gridRow.label, this.lang) }),
        options,
      ]));
    }
    view.sync = (state) => {
      const value = state.value && typeof state.value === "object" ? state.value : {};
      const offered = new Set((state.offered || all).map((c) => c.code));
      for (const cell of cells) {
        cell.input.checked = value[cell.rowId] === cell.code;
        cell.label.classList.toggle("gs-checked", cell.input.checked);
        cell.label.hidden = !offered.has(cell.code) && !missingCodes.includes(cell.code);
      }
    };
    return box;
  }
}
