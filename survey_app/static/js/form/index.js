/*
 * gesurvey form engine, entry module: renders a questionnaire (Questionnaire.to_client_dict()
 * JSON) one section per page on a tablet, evaluates skip logic, calculations, choice filters and
 * constraints live with expr.js, and keeps the draft safe (browser storage on every change,
 * server on every page change and every 30 s while there are unsent changes).
 *
 * Load it as <script type="module" src=".../js/form/index.js">. Modules beside it:
 *   strings.js     the form's interface strings (vi, en)
 *   model.js       the questionnaire JSON indexed by item id; choice and missing-code labels
 *   validation.js  pure logic, no DOM: relevance, calculations, filters, errors, cleaned answers
 *   state.js       the answers being edited and the draft kept on the device (DraftStore)
 *   navigation.js  pages: which apply, next/previous, jumping to the first error
 *   sync.js        draft saves and submission through a Transport; server errors onto fields
 *   render.js      the page shell and one section
 *   roster.js      repeat groups
 *   fields.js      one field per question type
 *   app.js         FormApp, which gathers the methods of the modules above
 *
 * Mount contract with the server (survey_app/templates/collect/interview.html):
 *   <div id="gesurvey-form" data-lang data-draft-url data-submit-url data-csrf-token></div>
 *   <script type="application/json" id="gesurvey-form-data">
 *     {"questionnaire_url": "/api/v1/questionnaires/ID/versions/V", "answers": {...},
 *      "page": 0, "submission": {"uuid", "status", "row_version"}, "errors": [...]}</script>
 * The questionnaire JSON is fetched from questionnaire_url (a published version never changes,
 * so the browser keeps it and later interviews do not download it again); a page may instead
 * embed it as "questionnaire": {...}.
 * The page mounts itself once the document is parsed unless the div has data-manual-mount.
 * A script that runs before this module may set globalThis.GESurveyFormOptions =
 * {store, transport} to replace the device store (async get/put/remove) and the transport
 * (async send(kind, body) -> {status, body}).
 * Exposed as globalThis.GESurveyForm = {mount, analyse, Model, FormApp, LocalDraftStore,
 * FetchTransport, STRINGS, STORAGE_PREFIX} for classic scripts (offline.js) and tests.
 *
 * Stable hooks for tests and other scripts (keep them when changing the markup):
 *   #gesurvey-form[data-ready="true"] once mounted; data-page, data-expression-errors on it;
 *   .gs-page[data-section] the section shown; .gs-field[data-qid][data-path] one question, where
 *   data-path is "Q", "roster/0/M04" or "roster/0/births/1/B01" (rows from 0); inside it
 *   input, .gs-choice[data-code], .gs-missing-btn[data-code], [data-grid-row], .gs-message,
 *   output (calculations); .gs-repeat[data-group][data-path] with .gs-row[data-row], .gs-add-row,
 *   .gs-remove-row (tap twice); .gs-prev, .gs-next, .gs-submit, .gs-lang, .gs-banner,
 *   .gs-status (.gs-status-ok once the server has the draft); the element's gesurveyForm property
 *   is the FormApp (body() gives what would be saved).
 */
import { FormApp } from "./app.js";
import { Model } from "./model.js";
import { LocalDraftStore, STORAGE_PREFIX } from "./state.js";
import { STRINGS } from "./strings.js";
import { FetchTransport } from "./sync.js";
import { analyse } from "./validation.js";

function readData() {
  const script = document.getElementById("gesurvey-form-data");
  if (!script) return null;
  try {
    return JSON.parse(script.textContent);
  } catch (err) {
    return null;
  }
}

function brokenForm(element) {
  const lang = element.dataset.lang === "en" ? "en" : "vi";
  element.textContent = STRINGS[lang].badForm;
}

/* Mount the form in element with data (the gesurvey-form-data JSON); returns the FormApp. */
export async function mount(element, data, options) {
  let app;
  try {
    app = new FormApp(element, data, options);
  } catch (err) {
    brokenForm(element);
    element.classList.add("gs-broken");
    if (globalThis.console) globalThis.console.error("gesurvey:", err);
    return null;
  }
  await app.start();
  element.gesurveyForm = app;
  return app;
}

async function fetchQuestionnaire(url) {
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    return response.ok ? await response.json() : null;
  } catch (err) {
    return null;
  }
}

async function autoMount() {
  const element = document.getElementById("gesurvey-form");
  if (!element || element.dataset.manualMount !== undefined) return;
  const data = readData();
  if (data && !data.questionnaire && data.questionnaire_url) {
    data.questionnaire = await fetchQuestionnaire(data.questionnaire_url);
  }
  if (!data || !data.questionnaire) {
    brokenForm(element);
    return;
  }
  mount(element, data, globalThis.GESurveyFormOptions || {});
}

globalThis.GESurveyForm = { mount, analyse, Model, FormApp, LocalDraftStore, FetchTransport,
  STRINGS, STORAGE_PREFIX };

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", autoMount);
else autoMount();
