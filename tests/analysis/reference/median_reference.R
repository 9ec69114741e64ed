#!/usr/bin/env Rscript
# Reference values for the report's median tables (analysis.tables.median_cells) from R's survey
# package (Lumley) on median_sample.csv. Usage (from tests/analysis/reference/):
#   Rscript median_reference.R median_sample.csv median_boot_factors.csv median_results.csv
# Per domain (total, group 1-3) and sex (1 men, 2 women):
#   svyquantile(~earnings, subset(des, ...), 0.5, na.rm = TRUE, ci = TRUE): qrule = "math",
#   Woodruff interval (interval.type = "mean"), R's defaults -> est, lci, uci, se, n.
# The gap women - men and the ratio women / men of the two medians: withReplicates on the
# bootstrap design built from the exported factors (svrepdesign, type = "bootstrap",
# combined.weights = FALSE, scale = 1 / (R - 1), mse = FALSE): both medians recomputed in every
# replicate with survey's own qrule_math; df = rank of the two groups' replicate weights - 1
# (R's degf on a replicate design, qr tol 1e-5); CI est -/+ qt(0.975, df) SE; p = 2 pt(-|t|, df).
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
f <- read.csv(args[2])
options(survey.lonely.psu = "adjust", survey.replicates.mse = FALSE)
des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE, data = d)
reps <- as.matrix(f[match(paste(d$stratum, d$psu), paste(f$stratum, f$psu)), -(1:2)])
R <- ncol(reps)
rd <- svrepdesign(data = d, weights = ~weight, repweights = reps, type = "bootstrap",
                  combined.weights = FALSE, scale = 1 / (R - 1), rscales = rep(1, R), mse = FALSE)
out <- list()
put <- function(k, v) out[[k]] <<- unname(as.numeric(v))
ok <- !is.na(d$earnings)
for (g in c("total", "1", "2", "3")) {
  dom <- if (g == "total") rep(TRUE, nrow(d)) else d$group == as.integer(g)
  for (s in 1:2) {
    keep <- dom & d$sex == s
    q <- svyquantile(~earnings, subset(des, keep), 0.5, na.rm = TRUE, ci = TRUE)[[1]]
    k <- paste0("q.", g, ".", s)
    put(paste0(k, ".est"), q[1, 1]); put(paste0(k, ".lci"), q[1, 2]); put(paste0(k, ".uci"), q[1, 3])
    put(paste0(k, ".se"), q[1, 4]); put(paste0(k, ".n"), sum(keep & ok))
  }
  a <- ok & dom & d$sex == 2
  b <- ok & dom & d$sex == 1
  med <- function(w, data, rows) survey:::qrule_math(data$earnings[rows], w[rows], 0.5)
  gap <- withReplicates(rd, function(w, data) med(w, data, a) - med(w, data, b))
  ratio <- withReplicates(rd, function(w, data) med(w, data, a) / med(w, data, b))
  df <- qr(weights(rd, "analysis")[a | b, ], tol = 1e-5)$rank - 1
  t <- qt(0.975, df)
  k <- paste0("gap.", g)
  put(paste0(k, ".est"), coef(gap)); put(paste0(k, ".se"), SE(gap))
  put(paste0(k, ".lci"), coef(gap) - t * SE(gap)); put(paste0(k, ".uci"), coef(gap) + t * SE(gap))
  put(paste0(k, ".p"), 2 * pt(-abs(coef(gap) / SE(gap)), df)); put(paste0(k, ".df"), df)
  k <- paste0("ratio.", g)
  put(paste0(k, ".est"), coef(ratio)); put(paste0(k, ".se"), SE(ratio))
  put(paste0(k, ".lci"), coef(ratio) - t * SE(ratio)); put(paste0(k, ".uci"), coef(ratio) + t * SE(ratio))
}
res <- data.frame(key = names(out), value = sprintf("%.17g", unlist(out)))
write.csv(res, args[3], row.names = FALSE, quote = FALSE)
