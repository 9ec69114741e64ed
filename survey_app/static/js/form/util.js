/* Small helpers shared by the form modules: text, values, answer paths and DOM building. */

export function format(template, values) {
  return template.replace(/\{(\w+)\}/g, (m, key) => (key in values ? String(values[key]) : m));
}

/* A bilingual label ({vi, en}) in the wanted language, falling back to the other one. */
export function text(label, lang) {
  if (label === null || label === undefined) return "";
  if (typeof label === "string") return label;
  return label[lang] || label.vi || label.en || "";
}

export function isNull(value) {
  return value === null || value === undefined;
}

export function unanswered(value) {
  if (isNull(value) || value === "") return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.keys(value).length === 0;
  return false;
}

export function clone(value) {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/* An answer path such as ["roster", 0, "M04"] as the key "roster/0/M04". */
export function pathKey(path) {
  return path.join("/");
}

export function getIn(obj, path) {
  let cur = obj;
  for (const part of path) {
    if (isNull(cur)) return null;
    cur = cur[part];
  }
  return isNull(cur) ? null : cur;
}

export function setIn(obj, path, value) {
  let cur = obj;
  for (let i = 0; i < path.length - 1; i += 1) {
    const part = path[i];
    const nextIsIndex = typeof path[i + 1] === "number";
    if (isNull(cur[part]) || typeof cur[part] !== "object") cur[part] = nextIsIndex ? [] : {};
    if (nextIsIndex) {
      while (cur[part].length <= path[i + 1]) cur[part].push({});
    }
    cur = cur[part];
  }
  const last = path[path.length - 1];
  if (isNull(value)) delete cur[last];
  else cur[last] = value;
}

/* Build an element: attrs "class", "text", "on<event>" handlers, other attributes as strings. */
export function h(tag, attrs, children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (isNull(value) || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of [].concat(children || [])) {
    if (isNull(child) || child === false) continue;
    el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/* The one placeholder rule of question texts (questionnaires/placeholders.py is the same rule
   for the server): "{name}" or "{dotted.name}" is replaced by values[name] when it has a value,
   and the roster markers "[TÊN]" / "[NAME]" stand for "{member.name}", the name of the member
   the question is about. A placeholder without a value is left as written. */
export const MEMBER_MARKERS = ["[TÊN]", "[NAME]"];

export function fillPlaceholders(template, values) {
  let out = String(template === null || template === undefined ? "" : template);
  const given = (key) => Object.prototype.hasOwnProperty.call(values || {}, key) &&
    !isNull(values[key]) && values[key] !== "";
  if (given("member.name")) {
    for (const marker of MEMBER_MARKERS) out = out.split(marker).join(String(values["member.name"]));
  }
  return out.replace(/\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)\}/g,
    (whole, key) => (given(key) ? String(values[key]) : whole));
}
