#!/usr/bin/env Rscript
# Replicate-weight and quantile reference values from R's survey package (Lumley) on sample.csv.
# Usage (from tests/analysis/reference/):
#   Rscript replicates_reference.R sample.csv replicates_results.csv
# Writes key,value (17 significant digits) and, because R's random bootstrap draws cannot be
# reproduced in Python, the replicate factors R drew (one row per PSU: district, commune, r1..rR):
#   replicates_boot_factors.csv  (type="subbootstrap", 50 replicates, set.seed(20261203))
#   replicates_brr_factors.csv   (BRR on the two-PSU subsample, R's own Hadamard matrix)
# The Python tests build the same replicate designs from these factors and must match.
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$sex <- factor(d$sex, levels = c("F", "M"))
d$support_need <- factor(d$support_need)
options(survey.lonely.psu = "fail", survey.replicates.mse = FALSE)
des <- svydesign(ids = ~commune, strata = ~district, weights = ~weight, nest = TRUE, data = d)
out <- list()
put <- function(k, v) out[[k]] <<- unname(as.numeric(v))

# the same battery on any replicate design; prefix names the design
battery <- function(rd, p) {
  put(paste0(p, ".degf"), degf(rd))
  put(paste0(p, ".scale"), rd$scale)
  m <- svymean(~kap_score, rd, na.rm = TRUE); put(paste0(p, ".mean.est"), coef(m)); put(paste0(p, ".mean.se"), SE(m))
  m <- svymean(~support_need, rd)
  for (lv in levels(d$support_need)) {
    k <- paste0("support_need", lv)
    put(paste0(p, ".cat.", lv, ".est"), coef(m)[k]); put(paste0(p, ".cat.", lv, ".se"), sqrt(diag(vcov(m)))[k])
  }
  t <- svytotal(~trained_vocational, rd); put(paste0(p, ".total.est"), coef(t)); put(paste0(p, ".total.se"), SE(t))
  r <- svyratio(~trained_vocational, ~age, rd); put(paste0(p, ".ratio.est"), coef(r)); put(paste0(p, ".ratio.se"), SE(r))
  b <- svyby(~kap_score, ~sex + urban, rd, svymean, na.rm = TRUE)
  for (i in seq_len(nrow(b))) {
    k <- paste0(p, ".by.", b$sex[i], ".", b$urban[i])
    put(paste0(k, ".est"), b$kap_score[i]); put(paste0(k, ".se"), b$se[i])
  }
  bs <- svyby(~trained_vocational, ~sex, rd, svymean, covmat = TRUE)
  g <- svycontrast(bs, c(1, -1)); put(paste0(p, ".gap.est"), coef(g)); put(paste0(p, ".gap.se"), SE(g))
  g <- svycontrast(bs, quote(F / M)); put(paste0(p, ".gpi.est"), coef(g)); put(paste0(p, ".gpi.se"), SE(g))
  for (s in c("F", "M")) put(paste0(p, ".degf.", s), degf(subset(rd, sex == s)))
}

# quantiles on a replicate design: qrule="math", both interval types, overall and by sex
quantiles <- function(rd, p) {
  for (it in c("quantile", "mean")) {
    q <- svyquantile(~kap_score, rd, c(0.25, 0.5, 0.75), na.rm = TRUE, ci = TRUE,
                     interval.type = it, qrule = "math")[[1]]
    for (i in 1:3) {
      k <- paste0(p, ".q.", it, ".", c("q25", "q50", "q75")[i])
      put(paste0(k, ".est"), q[i, 1]); put(paste0(k, ".lci"), q[i, 2]); put(paste0(k, ".uci"), q[i, 3])
      put(paste0(k, ".se"), q[i, 4])
    }
    for (s in c("F", "M")) {
      q <- svyquantile(~kap_score, subset(rd, sex == s), 0.5, na.rm = TRUE, ci = TRUE,
                       interval.type = it, qrule = "math")[[1]]
      k <- paste0(p, ".q.", it, ".", s, ".q50")
      put(paste0(k, ".est"), q[1, 1]); put(paste0(k, ".lci"), q[1, 2]); put(paste0(k, ".uci"), q[1, 3])
      put(paste0(k, ".se"), q[1, 4])
    }
  }
  # median gap F - M: the difference of the two medians in every replicate, svrVar around it
  ok <- !is.na(d$kap_score)
  gapfun <- function(w, data) {
    f <- ok & data$sex == "F"; m <- ok & data$sex == "M"
    survey:::qrule_math(data$kap_score[f], w[f], 0.5) - survey:::qrule_math(data$kap_score[m], w[m], 0.5)
  }
  g <- withReplicates(rd, gapfun)
  put(paste0(p, ".mediangap.est"), coef(g)); put(paste0(p, ".mediangap.se"), SE(g))
}

# calibration re-done in every replicate: post-stratification and raking (totals as reference.R)
calibrated <- function(rd, p) {
  ps_pop <- aggregate(weight ~ sex + urban, data = d, FUN = sum)
  ps_pop$Freq <- round(ps_pop$weight * 1.07); ps_pop$weight <- NULL
  pst <- postStratify(rd, ~sex + urban, ps_pop)
  m <- svymean(~trained_vocational, pst); put(paste0(p, ".poststrat.est"), coef(m)); put(paste0(p, ".poststrat.se"), SE(m))
  t <- svytotal(~trained_vocational, pst); put(paste0(p, ".poststrat.total.est"), coef(t)); put(paste0(p, ".poststrat.total.se"), SE(t))
  b <- svyby(~kap_score, ~sex, pst, svymean, na.rm = TRUE)
  for (i in 1:2) { put(paste0(p, ".poststrat.by.", b$sex[i], ".est"), b$kap_score[i]); put(paste0(p, ".poststrat.by.", b$sex[i], ".se"), b$se[i]) }
  pop_sex <- data.frame(sex = c("F", "M"), Freq = c(820000, 790000))
  pop_dis <- aggregate(weight ~ district, data = d, FUN = sum)
  pop_dis$Freq <- round(pop_dis$weight / sum(pop_dis$weight) * 1610000); pop_dis$weight <- NULL
  rk <- rake(rd, list(~sex, ~district), list(pop_sex, pop_dis), control = list(maxit = 100, epsilon = 1e-10))
  m <- svymean(~trained_vocational, rk); put(paste0(p, ".rake.est"), coef(m)); put(paste0(p, ".rake.se"), SE(m))
  t <- svytotal(~trained_vocational, rk); put(paste0(p, ".rake.total.est"), coef(t)); put(paste0(p, ".rake.total.se"), SE(t))
  r <- svyratio(~trained_vocational, ~age, rk); put(paste0(p, ".rake.ratio.est"), coef(r)); put(paste0(p, ".rake.ratio.se"), SE(r))
}

factors_csv <- function(rd, data, file) {
  first <- !duplicated(rd$repweights$index)
  f <- rd$repweights$weights[rd$repweights$index[first], , drop = FALSE]
  colnames(f) <- paste0("r", seq_len(ncol(f)))
  write.csv(data.frame(district = data$district[first], commune = data$commune[first], f),
            file, row.names = FALSE)
}

# JKn: deterministic, built independently in Python
jk <- as.svrepdesign(des, type = "JKn")
battery(jk, "jk"); calibrated(jk, "jk"); quantiles(jk, "jk")

# Rao-Wu bootstrap with n_h - 1 draws (R's "subbootstrap"), 50 replicates; factors exported
set.seed(20261203)
bt <- as.svrepdesign(des, type = "subbootstrap", replicates = 50)
factors_csv(bt, d, "replicates_boot_factors.csv")
battery(bt, "boot"); calibrated(bt, "boot"); quantiles(bt, "boot")

# Taylor (linearisation) Woodruff quantiles by sex, for the non-replicate path
for (s in c("F", "M")) {
  q <- svyquantile(~kap_score, subset(des, sex == s), c(0.25, 0.5, 0.75), na.rm = TRUE, ci = TRUE)[[1]]
  for (i in 1:3) {
    k <- paste0("taylor.q.", s, ".", c("q25", "q50", "q75")[i])
    put(paste0(k, ".est"), q[i, 1]); put(paste0(k, ".lci"), q[i, 2]); put(paste0(k, ".uci"), q[i, 3]); put(paste0(k, ".se"), q[i, 4])
  }
}

# BRR and Fay on the subsample of the first two communes (by code) of every district
keep <- unlist(lapply(split(d, d$district), function(x) x$person_id[x$commune %in% sort(unique(x$commune))[1:2]]))
d2 <- d[d$person_id %in% keep, ]
des2 <- svydesign(ids = ~commune, strata = ~district, weights = ~weight, nest = TRUE, data = d2)
br <- as.svrepdesign(des2, type = "BRR")
factors_csv(br, d2, "replicates_brr_factors.csv")
put("brr.n", nrow(d2))
m <- svymean(~kap_score, br, na.rm = TRUE); put("brr.mean.est", coef(m)); put("brr.mean.se", SE(m))
t <- svytotal(~trained_vocational, br); put("brr.total.est", coef(t)); put("brr.total.se", SE(t))
r <- svyratio(~trained_vocational, ~age, br); put("brr.ratio.est", coef(r)); put("brr.ratio.se", SE(r))
fy <- as.svrepdesign(des2, type = "Fay", fay.rho = 0.5)
put("fay.scale", fy$scale)
m <- svymean(~kap_score, fy, na.rm = TRUE); put("fay.mean.est", coef(m)); put("fay.mean.se", SE(m))
t <- svytotal(~trained_vocational, fy); put("fay.total.est", coef(t)); put("fay.total.se", SE(t))
put("brr.taylor.total.se", SE(svytotal(~trained_vocational, des2)))

writeLines(c("key,value", sprintf("%s,%.17g", names(out), unlist(out))), args[2])
cat("wrote", args[2], length(out), "values\n")
