/*
 * The expression evaluator (../expr.js) as a module import. expr.js stays a classic script too
 * (the service worker and the expression-vector test load it that way); importing it here runs it
 * once for the module graph and hands back the API it sets on globalThis.
 */
import "../expr.js";

export const Expr = globalThis.GESurveyExpr;
