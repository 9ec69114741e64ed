/*
 * gesurvey expression evaluator for the browser.
 *
 * Runs the JSON AST that questionnaires.expressions.compile_expression produces (see
 * questionnaires/FORMAT.md, "The JSON AST"). There is deliberately no parser here and nothing is
 * ever passed to eval or new Function: the server compiles, the browser only walks the tree. The
 * semantics mirror the Python evaluator line for line and are pinned by the shared vectors in
 * questionnaires/vectors/expressions.json, which tests/browser/test_expr_vectors.py runs in
 * chromium.
 *
 * Exposes globalThis.GESurveyExpr = {evaluate, truthy, toText, references, ExpressionError,
 * setMissingCodes}; call setMissingCodes with the questionnaire's missing codes before evaluating.
 * No DOM access, so a service worker or a web worker can load it too.
 */
(function (root) {
  "use strict";

  class ExpressionError extends Error {
    constructor(message) {
      super(message);
      this.name = "ExpressionError";
    }
  }

  function isNull(value) {
    return value === null || value === undefined;
  }

  /* Truth as and/or/not/if see it: null, false, 0 and '' are false (an empty list is true). */
  function truthy(value) {
    if (isNull(value) || value === false) return false;
    if (typeof value === "number" && value === 0) return false;
    return value !== "";
  }

  function kind(value) {
    if (isNull(value)) return "null";
    if (typeof value === "boolean") return "boolean";
    if (typeof value === "number") return "number";
    if (typeof value === "string") return "string";
    if (Array.isArray(value)) return "list";
    return "object";
  }

  function show(value) {
    try {
      return JSON.stringify(value);
    } catch (err) {
      return String(value);
    }
  }

  /* A value as a number for arithmetic; booleans count as 1 and 0. */
  function number(value, where) {
    if (typeof value === "boolean") return value ? 1 : 0;
    if (typeof value === "number") return value;
    throw new ExpressionError(where + ": expected a number, got " + kind(value) + " " + show(value));
  }

  function isNumeric(k) {
    return k === "number" || k === "boolean";
  }

  function equal(left, right) {
    if (isNull(left) || isNull(right)) return isNull(left) && isNull(right);
    const lk = kind(left);
    const rk = kind(right);
    if (isNumeric(lk) && isNumeric(rk)) return number(left, "=") === number(right, "=");
    if (lk === "string" && rk === "string") return left === right;
    throw new ExpressionError(
      "cannot compare " + lk + " " + show(left) + " with " + rk + " " + show(right));
  }

  function order(op, left, right) {
    if (isNull(left) || isNull(right)) return false;
    const lk = kind(left);
    const rk = kind(right);
    let a;
    let b;
    if (isNumeric(lk) && isNumeric(rk)) {
      a = number(left, op);
      b = number(right, op);
    } else if (lk === "string" && rk === "string") {
      a = left;
      b = right;
    } else {
      throw new ExpressionError("cannot compare " + lk + " " + show(left) + " with " + rk + " " +
        show(right) + " using " + op);
    }
    if (op === "<") return a < b;
    if (op === "<=") return a <= b;
    if (op === ">") return a > b;
    return a >= b;
  }

  function arith(op, left, right) {
    if (isNull(left) || isNull(right)) return null;
    const a = number(left, op);
    const b = number(right, op);
    if (op === "+") return a + b;
    if (op === "-") return a - b;
    if (op === "*") return a * b;
    if (b === 0) return null;
    if (op === "div") return a / b;
    return a % b; /* like C fmod: keeps the dividend's sign */
  }

  /* Python's repr() of a float, so concat() prints what the server prints. */
  function floatText(value) {
    if (!Number.isFinite(value)) return value > 0 ? "inf" : value < 0 ? "-inf" : "nan";
    const exp = value.toExponential(); /* shortest round-trip digits, e.g. "1.25e-7" */
    const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(exp);
    if (!match) return String(value);
    const sign = match[1];
    const digits = match[2] + (match[3] || "");
    const e = parseInt(match[4], 10);
    if (e < -4 || e >= 16) {
      const mantissa = digits.length > 1 ? digits[0] + "." + digits.slice(1) : digits;
      const ee = Math.abs(e) < 10 ? "0" + Math.abs(e) : String(Math.abs(e));
      return sign + mantissa + "e" + (e < 0 ? "-" : "+") + ee;
    }
    if (e < 0) return sign + "0." + "0".repeat(-e - 1) + digits;
    if (digits.length <= e + 1) return sign + digits + "0".repeat(e + 1 - digits.length) + ".0";
    return sign + digits.slice(0, e + 1) + "." + digits.slice(e + 1);
  }

  /* Render a value as concat() does: null is '', whole numbers have no '.0'. */
  function toText(value) {
    if (isNull(value)) return "";
    if (value === true) return "true";
    if (value === false) return "false";
    if (typeof value === "number") {
      if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
      if (Number.isInteger(value) && Number.isSafeInteger(value)) return String(value);
      return floatText(value);
    }
    if (typeof value === "string") return value;
    throw new ExpressionError("cannot turn " + kind(value) + " " + show(value) + " into text");
  }

  function get(mapping, key) {
    if (isNull(mapping) || !Object.prototype.hasOwnProperty.call(mapping, key)) return null;
    const value = mapping[key];
    return value === undefined ? null : value;
  }

  function ctxWithRow(ctx, row) {
    return { answers: ctx.answers, row: row, current: ctx.current, choice: ctx.choice };
  }

  function rows(value, what) {
    if (isNull(value)) return [];
    if (!Array.isArray(value) || !value.every((r) => r !== null && typeof r === "object" &&
        !Array.isArray(r))) {
      throw new ExpressionError(what + ": expected the rows of a repeat group, got " + kind(value));
    }
    return value;
  }

  const CALLS = {
    "if": function (args, ctx) {
      return truthy(ev(args[0], ctx)) ? ev(args[1], ctx) : ev(args[2], ctx);
    },
    "not": function (args, ctx) {
      return !truthy(ev(args[0], ctx));
    },
    "selected": function (args, ctx) {
      const answer = ev(args[0], ctx);
      const wanted = ev(args[1], ctx);
      if (isNull(answer) || isNull(wanted)) return false;
      if (Array.isArray(answer)) return answer.some((item) => equal(item, wanted));
      if (typeof answer === "object") {
        throw new ExpressionError("selected() needs a choice answer, got object");
      }
      return equal(answer, wanted);
    },
    "count-selected": function (args, ctx) {
      const answer = ev(args[0], ctx);
      if (isNull(answer)) return 0;
      if (Array.isArray(answer)) return answer.length;
      /* a bare missing code where a multi answer belongs (don't know / refused) selects nothing */
      if (typeof answer === "number" && missingCodes.includes(answer)) return 0;
      throw new ExpressionError(
        "count-selected() needs a multiple-choice answer, got " + kind(answer));
    },
    "string-length": function (args, ctx) {
      return Array.from(toText(ev(args[0], ctx))).length; /* code points, like Python len() */
    },
    "coalesce": function (args, ctx) {
      for (const arg of args) {
        const value = ev(arg, ctx);
        if (!isNull(value) && value !== "") return value;
      }
      return null;
    },
    "count": function (args, ctx) {
      const list = rows(ev(args[0], ctx), "count()");
      if (args.length === 1) return list.length;
      let total = 0;
      for (const row of list) {
        if (truthy(ev(args[1], ctxWithRow(ctx, row)))) total += 1;
      }
      return total;
    },
    "sum": function (args, ctx) {
      const first = args[0];
      if (!first || first.node !== "ref" || !first.repeat) {
        throw new ExpressionError("sum() needs a question of a repeat group as its first argument");
      }
      const list = rows(get(ctx.answers, first.repeat), "sum()");
      let total = 0;
      for (const row of list) {
        if (args.length > 1 && !truthy(ev(args[1], ctxWithRow(ctx, row)))) continue;
        const value = get(row, first.name);
        if (!isNull(value)) total += number(value, "sum()");
      }
      return total;
    },
    "int": function (args, ctx) {
      const value = ev(args[0], ctx);
      if (isNull(value)) return null;
      return Math.trunc(number(value, "int()"));
    },
    "round": function (args, ctx) {
      const value = ev(args[0], ctx);
      const digits = args.length > 1 ? ev(args[1], ctx) : 0;
      if (isNull(value) || isNull(digits)) return null;
      const x = number(value, "round()");
      const d = number(digits, "round() digits");
      if (d !== Math.trunc(d)) {
        throw new ExpressionError("round() digits must be a whole number, got " + show(digits));
      }
      const scale = Math.pow(10, d);
      /* Half away from zero, computed exactly as the Python evaluator does. */
      const magnitude = Math.floor(Math.abs(x) * scale + 0.5) / scale;
      return x < 0 ? -magnitude : magnitude;
    },
    "concat": function (args, ctx) {
      return args.map((arg) => toText(ev(arg, ctx))).join("");
    },
    "min": function (args, ctx) {
      return extreme(args, ctx, "min", (a, b) => (b < a ? b : a));
    },
    "max": function (args, ctx) {
      return extreme(args, ctx, "max", (a, b) => (b > a ? b : a));
    },
  };

  function extreme(args, ctx, name, pick) {
    let best = null;
    for (const arg of args) {
      const value = ev(arg, ctx);
      if (isNull(value)) continue;
      const n = number(value, name + "()");
      best = best === null ? n : pick(best, n);
    }
    return best;
  }

  function ev(node, ctx) {
    if (isNull(node) || typeof node !== "object") {
      throw new ExpressionError("not an expression node: " + show(node));
    }
    switch (node.node) {
      case "number":
      case "string":
        return node.value;
      case "ref":
        if (node.repeat) {
          if (isNull(ctx.row)) {
            throw new ExpressionError("${" + node.name + "} belongs to group '" + node.repeat +
              "' but no row is given");
          }
          return get(ctx.row, node.name);
        }
        return get(ctx.answers, node.name);
      case "current":
        return isNull(ctx.current) ? null : ctx.current;
      case "attr":
        if (isNull(ctx.choice)) {
          throw new ExpressionError("'" + node.name +
            "' reads a choice attribute but no choice is given");
        }
        return get(ctx.choice, node.name);
      case "negate": {
        const value = ev(node.operand, ctx);
        if (isNull(value)) return null;
        return -number(value, "-");
      }
      case "binary":
        return binary(node, ctx);
      case "call": {
        const fn = Object.prototype.hasOwnProperty.call(CALLS, node.name) ? CALLS[node.name] : null;
        if (!fn) throw new ExpressionError("unknown function " + show(node.name));
        return fn(node.args || [], ctx);
      }
      default:
        throw new ExpressionError("not an expression node: " + show(node));
    }
  }

  function binary(node, ctx) {
    const op = node.op;
    if (op === "and") return truthy(ev(node.left, ctx)) && truthy(ev(node.right, ctx));
    if (op === "or") return truthy(ev(node.left, ctx)) || truthy(ev(node.right, ctx));
    const left = ev(node.left, ctx);
    const right = ev(node.right, ctx);
    switch (op) {
      case "=": return equal(left, right);
      case "!=": return !equal(left, right);
      case "<": case "<=": case ">": case ">=": return order(op, left, right);
      case "+": case "-": case "*": case "div": case "mod": return arith(op, left, right);
      default: throw new ExpressionError("unknown operator " + show(op));
    }
  }

  /*
   * Evaluate a compiled AST. context: {answers, row, current, choice}; all optional.
   * Throws ExpressionError when the expression cannot be evaluated.
   */
  function evaluate(ast, context) {
    const c = context || {};
    return ev(ast, {
      answers: isNull(c.answers) ? {} : c.answers,
      row: isNull(c.row) ? null : c.row,
      current: isNull(c.current) ? null : c.current,
      choice: isNull(c.choice) ? null : c.choice,
    });
  }

  /* Every question or group id the AST reads (${...}). */
  function references(ast) {
    const found = new Set();
    const stack = [ast];
    while (stack.length) {
      const node = stack.pop();
      if (!node || typeof node !== "object") continue;
      if (node.node === "ref") found.add(node.name);
      else if (node.node === "binary") stack.push(node.left, node.right);
      else if (node.node === "negate") stack.push(node.operand);
      else if (node.node === "call") stack.push(...(node.args || []));
    }
    return found;
  }

  /*
   * The reserved missing-value codes (don't know, refused). They are defined once, in
   * questionnaires/codes.py, and reach the browser in the questionnaire JSON's missing_codes:
   * the form engine passes them here before evaluating anything.
   */
  let missingCodes = [];

  function setMissingCodes(codes) {
    missingCodes = Array.from(codes || [], Number);
  }

  const api = { evaluate, truthy, toText, references, ExpressionError, setMissingCodes };
  root.GESurveyExpr = api;
  if (typeof module === "object" && module.exports) module.exports = api;
})(typeof globalThis !== "undefined" ? globalThis : typeof self !== "undefined" ? self : this);
