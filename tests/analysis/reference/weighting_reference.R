#!/usr/bin/env Rscript
# Reference numbers for analysis/weighting.py from R's survey package (Lumley): post-stratification,
# raking (convergence rules, multi-variable margins, non-convergence), trimming and re-raking, and
# weighting-class nonresponse adjustment, with SEs overall and by domain.
# Usage (from this folder; needs Debian's r-base-core r-cran-survey):
#   Rscript weighting_reference.R sample.csv weighting_results.csv
# Writes key,value with 17 significant digits, plus the population totals it calibrated to:
#   weighting_totals_poststrat.csv (sex x urban), weighting_totals_rake.csv (margin, level, Freq;
#   margin "sex_urban" has levels "F.rural" ...). Keys are explained by the comments below.
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d$sex <- factor(d$sex, levels = c("F", "M"))
d$agegrp <- cut(d$age, c(-Inf, 24, 34, 44, 54, Inf),
                labels = c("18-24", "25-34", "35-44", "45-54", "55+"))
d$yF <- d$trained_vocational * (d$sex == "F"); d$iF <- as.numeric(d$sex == "F")
d$yM <- d$trained_vocational * (d$sex == "M"); d$iM <- as.numeric(d$sex == "M")
options(survey.lonely.psu = "fail")
des <- svydesign(ids = ~commune, strata = ~district, weights = ~weight, nest = TRUE, data = d)
out <- list()
put <- function(k, v) out[[k]] <<- unname(as.numeric(v))

# Summaries of a weight vector that every single weight moves: sum, sum of squares, min, max and
# a dot product with a fixed sequence (so a permutation of weights would be caught too).
put_weights <- function(prefix, w) {
  put(paste0(prefix, ".w.sum"), sum(w)); put(paste0(prefix, ".w.sumsq"), sum(w^2))
  put(paste0(prefix, ".w.min"), min(w)); put(paste0(prefix, ".w.max"), max(w))
  put(paste0(prefix, ".w.dot"), sum(w * seq_along(w)))
}
# Mean (with deff and xlogit CI) and total of trained_vocational, the F - M gap and F/M ratio,
# its ratio to age, quartiles of kap_score (svyquantile defaults), the mean of kap_score
# (missing values, na.rm = TRUE), the support_need proportions, and means by sex and by
# district (svyby: domains on the full design).
put_estimates <- function(prefix, ds) {
  m <- svymean(~trained_vocational, ds, deff = TRUE)
  put(paste0(prefix, ".mean.est"), coef(m)); put(paste0(prefix, ".mean.se"), SE(m))
  put(paste0(prefix, ".mean.deff"), deff(m))
  cp <- svyciprop(~trained_vocational, ds, method = "xlogit")
  put(paste0(prefix, ".mean.xlogit.lci"), attr(cp, "ci")[1])
  put(paste0(prefix, ".mean.xlogit.uci"), attr(cp, "ci")[2])
  # female - male gap and F/M parity index with the domain covariance. svyby(covmat = TRUE)
  # fails on calibrated designs in survey 4.1.1, so the domain means are written as ratios of
  # totals (the same linearisation; it reproduces results.csv's gap and gpi keys).
  t <- svytotal(~yF + iF + yM + iM, ds)
  g <- svycontrast(t, quote(yF / iF - yM / iM))
  put(paste0(prefix, ".gap.est"), coef(g)); put(paste0(prefix, ".gap.se"), SE(g))
  r <- svycontrast(t, quote((yF / iF) / (yM / iM)))
  put(paste0(prefix, ".gpi.est"), coef(r)); put(paste0(prefix, ".gpi.se"), SE(r))
  t <- svytotal(~trained_vocational, ds)
  put(paste0(prefix, ".total.est"), coef(t)); put(paste0(prefix, ".total.se"), SE(t))
  m <- svymean(~kap_score, ds, na.rm = TRUE)
  put(paste0(prefix, ".kap.est"), coef(m)); put(paste0(prefix, ".kap.se"), SE(m))
  m <- svymean(~support_need, ds)
  for (k in names(coef(m))) {
    lv <- sub("^support_need", "", k)
    put(paste0(prefix, ".cat.", lv, ".est"), coef(m)[k]); put(paste0(prefix, ".cat.", lv, ".se"), SE(m)[k])
  }
  for (by in c("sex", "district")) {
    b <- svyby(~trained_vocational, as.formula(paste0("~", by)), ds, svymean)
    for (i in seq_len(nrow(b))) {
      k <- paste0(prefix, ".by_", by, ".", b[[by]][i])
      put(paste0(k, ".est"), coef(b)[i]); put(paste0(k, ".se"), SE(b)[i])
    }
  }
  rt <- svyratio(~trained_vocational, ~age, ds)
  put(paste0(prefix, ".ratio.est"), coef(rt)); put(paste0(prefix, ".ratio.se"), SE(rt))
  q <- svyquantile(~kap_score, ds, c(0.25, 0.5, 0.75), na.rm = TRUE, ci = TRUE)[[1]]
  for (i in 1:3) {
    k <- paste0(prefix, ".", c("q25", "q50", "q75")[i])
    put(paste0(k, ".est"), q[i, 1]); put(paste0(k, ".se"), q[i, 4])
    put(paste0(k, ".lci"), q[i, 2]); put(paste0(k, ".uci"), q[i, 3])
  }
  b <- svyby(~trained_vocational, ~sex, ds, svytotal)
  for (i in seq_len(nrow(b))) {
    k <- paste0(prefix, ".total_by_sex.", b$sex[i])
    put(paste0(k, ".est"), coef(b)[i]); put(paste0(k, ".se"), SE(b)[i])
  }
}

put_estimates("base", des)

# Population totals. Post-strata sex x urban: weighted sample counts x 1.07, rounded (as
# reference.R). Raking margins all sum to 1,610,000 so that raking can converge.
ps_pop <- aggregate(weight ~ sex + urban, data = d, FUN = sum)
ps_pop$Freq <- round(ps_pop$weight * 1.07); ps_pop$weight <- NULL
N <- 1610000
scaled <- function(formula) {
  p <- aggregate(formula, data = d, FUN = sum)
  p$Freq <- round(p$weight / sum(p$weight) * N); p$weight <- NULL
  p$Freq[nrow(p)] <- N - sum(p$Freq[-nrow(p)])  # rounding slack goes to the last cell
  p
}
pop_sex <- data.frame(sex = c("F", "M"), Freq = c(820000, 790000))
pop_dis <- scaled(weight ~ district)
pop_age <- scaled(weight ~ agegrp)
pop_su <- scaled(weight ~ sex + urban)
pop_su$Freq <- round(pop_su$Freq * c(1.03, 0.98, 0.99, 1.01))
pop_su$Freq[4] <- N - sum(pop_su$Freq[1:3])

# 1. post-stratification on sex x urban
pst <- postStratify(des, ~sex + urban, ps_pop)
put_weights("ps", weights(pst)); put_estimates("ps", pst)

# 2. raking on sex, district and age-group margins, tight convergence
ctl <- list(maxit = 100, epsilon = 1e-10)
rk <- rake(des, list(~sex, ~district, ~agegrp), list(pop_sex, pop_dis, pop_age), control = ctl)
put_weights("rake", weights(rk)); put_estimates("rake", rk)

# 3. raking with R's default control (maxit = 10, epsilon = 1: absolute, in weight units)
rkd <- rake(des, list(~sex, ~district, ~agegrp), list(pop_sex, pop_dis, pop_age))
put_weights("rake_default", weights(rkd)); put_estimates("rake_default", rkd)

# 4. raking stopped after 2 passes (does not converge; R warns): the weights of pass 2
rk2 <- suppressWarnings(rake(des, list(~sex, ~district, ~agegrp), list(pop_sex, pop_dis, pop_age),
                             control = list(maxit = 2, epsilon = 1e-12)))
put_weights("rake_2", weights(rk2)); put_estimates("rake_2", rk2)

# 5. a two-variable margin (sex x urban) with the district margin
rkm <- rake(des, list(~sex + urban, ~district), list(pop_su, pop_dis), control = ctl)
put_weights("rake_su", weights(rkm)); put_estimates("rake_su", rkm)

# 6. trimming the raked weights above 3.5 x median (trimWeights, strict = FALSE: the excess is
#    spread evenly over the untrimmed weights; the design keeps its raking), then re-raking
cap <- 3.5 * median(weights(rk))
put("trim.cap", cap); put("trim.n_trimmed", sum(weights(rk) > cap))
tr <- trimWeights(rk, upper = cap)
put_weights("trim", weights(tr)); put_estimates("trim", tr)
trs <- trimWeights(rk, upper = cap, strict = TRUE)
put_weights("trim_strict", weights(trs)); put_estimates("trim_strict", trs)
rt <- rake(tr, list(~sex, ~district, ~agegrp), list(pop_sex, pop_dis, pop_age), control = ctl)
put_weights("trim_rake", weights(rt)); put_estimates("trim_rake", rt)
put("trim_rake.n_over_cap", sum(weights(rt) > cap))

# 7. post-stratification followed by raking (two calibrations applied in order)
psr <- rake(pst, list(~sex, ~district), list(pop_sex, pop_dis), control = ctl)
put_weights("ps_rake", weights(psr)); put_estimates("ps_rake", psr)

# 8. weighting-class nonresponse adjustment within district x sex cells: every 7th person (by
#    person_id, offset 3) and every 5th person of district D04 is a nonrespondent
resp <- (d$person_id %% 7 != 3) & !(d$district == "D04" & d$person_id %% 5 == 0)
cell <- interaction(d$district, d$sex)
w_nr <- d$weight * ave(d$weight, cell, FUN = sum) / ave(d$weight * resp, cell, FUN = sum)
w_nr[!resp] <- 0
put_weights("nr", w_nr)
w_nc <- d$weight * ave(rep(1, nrow(d)), cell, FUN = sum) / ave(as.numeric(resp), cell, FUN = sum)
w_nc[!resp] <- 0
put_weights("nr_count", w_nc)
dr <- d[resp, ]; dr$w_nr <- w_nr[resp]
desr <- svydesign(ids = ~commune, strata = ~district, weights = ~w_nr, nest = TRUE, data = dr)
put_estimates("nr", desr)
put("nr.n", nrow(dr))

writeLines(c("key,value", sprintf("%s,%.17g", names(out), unlist(out))), args[2])
dir <- dirname(args[2])
write.csv(ps_pop, file.path(dir, "weighting_totals_poststrat.csv"), row.names = FALSE)
pop_su_long <- data.frame(margin = "sex_urban", level = paste(pop_su$sex, pop_su$urban, sep = "."),
                          Freq = pop_su$Freq)
write.csv(rbind(data.frame(margin = "sex", level = pop_sex$sex, Freq = pop_sex$Freq),
                data.frame(margin = "district", level = pop_dis$district, Freq = pop_dis$Freq),
                data.frame(margin = "agegrp", level = as.character(pop_age$agegrp), Freq = pop_age$Freq),
                pop_su_long),
          file.path(dir, "weighting_totals_rake.csv"), row.names = FALSE)
cat("wrote", args[2], length(out), "values\n")
