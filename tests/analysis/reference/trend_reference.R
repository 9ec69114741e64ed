#!/usr/bin/env Rscript
# Reference results for analysis/trend.py from R's survey package (Lumley).
# Usage, from this folder: Rscript trend_reference.R trend trend_results.csv
# (R 4.2.2, survey 4.1.1 from Debian's r-base-core r-cran-survey). Output: key,value, 17
# significant digits. The data are written by trend_make_data.py.
#
# Indicators, defined here again from the raw answers as the table plan defines them:
#   I1.1  individual, age >= 18, D1_01 answered:           D1_01 == 1
#   I6.1  individual, age >= 18 (98 and blank count as no): D6_01 == 1
#   I6.2  individual, age >= 18, D6_03 answered:           D6_03 == 1
#   I8.1  individual, age >= 18, D8_01 answered (98 out):  mean of D8_01
#   I5.2  member, M04 >= 18, D5_04 answered (98 out):      D5_04 == 1
#   LAND_HOME household, D2_06 in 1..4:                   D2_06 in {2, 3}
# Every round: svydesign(ids=~psu, strata=~stratum, weights=~weight_final, nest=TRUE), lonely
# PSUs "adjust". A cell is a domain (total, or residence 1/2) × sex (all, women = 2, men = 1):
#   lvl.<ind>.<by>.<code>.<sex>.<round>.{est,se,df}: svymean on subset(design, cell & !is.na(y));
#     df = degf of that subset (its PSUs minus its strata).
#   ind.<ind>.<by>.<code>.<sex>.<from>.<to>.{change,se,t,df,p}: independent rounds,
#     se = sqrt(se1^2 + se2^2), df = df1 + df2, t = change / se, p = 2 pt(-|t|, df).
#   ind.gap.<ind>.<by>.<code>.<from>.<to>.{change,se,t,df,p}: the women - men gap of each round
#     (svycontrast of svyby(~y, ~sex, covmat = TRUE)), its df the degf of the domain's rows of
#     both sexes; the change of the gap tested as above.
#   panel.<ind>.<by>.<code>.<sex>.<from>.<to>.{change,se,t,df,p}: the two rounds stacked
#     (rbind) in one design, svycontrast(svyby(~y, ~round, subset(...), svymean, covmat = TRUE),
#     round2 - round1); df = degf of the stacked cell.
#   panel.gap.<ind>.<by>.<code>.<from>.<to>.*: the contrast (w2 - m2) - (w1 - m1) of
#     svyby(~y, ~round + sex, covmat = TRUE) in the stacked design.
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")
args <- commandArgs(trailingOnly = TRUE)
root <- args[1]
out <- list()
put <- function(k, v) out[[k]] <<- unname(as.numeric(v))

defs <- list(
  "I1.1" = list(table = "individual", sex = "resp_sex", y = function(d)
    ifelse(d$resp_age >= 18 & !is.na(d$D1_01), as.numeric(d$D1_01 == 1), NA)),
  "I6.1" = list(table = "individual", sex = "resp_sex", y = function(d)
    ifelse(d$resp_age >= 18, as.numeric(!is.na(d$D6_01) & d$D6_01 == 1), NA)),
  "I6.2" = list(table = "individual", sex = "resp_sex", y = function(d)
    ifelse(d$resp_age >= 18 & !is.na(d$D6_03), as.numeric(d$D6_03 == 1), NA)),
  "I8.1" = list(table = "individual", sex = "resp_sex", y = function(d)
    ifelse(d$resp_age >= 18 & !is.na(d$D8_01) & d$D8_01 != 98, d$D8_01, NA)),
  "I5.2" = list(table = "member", sex = "M03", y = function(d)
    ifelse(!is.na(d$M04) & d$M04 >= 18 & !is.na(d$D5_04) & d$D5_04 != 98,
           as.numeric(d$D5_04 == 1), NA)),
  "LAND_HOME" = list(table = "household", sex = NULL, y = function(d)
    ifelse(!is.na(d$D2_06) & d$D2_06 >= 1 & d$D2_06 <= 4, as.numeric(d$D2_06 %in% c(2, 3)), NA))
)

read_round <- function(folder, def) {
  d <- read.csv(file.path(folder, paste0(def$table, ".csv")))
  d$y <- def$y(d)
  d$sex <- if (is.null(def$sex)) 0 else d[[def$sex]]
  d
}
design_of <- function(d) {
  svydesign(ids = ~psu, strata = ~stratum, weights = ~weight_final, nest = TRUE, data = d)
}
cells <- function(d, has_sex) {
  out <- list(c("total", "0", "all"))
  for (code in sort(unique(d$residence))) out[[length(out) + 1]] <- c("residence", code, "all")
  if (has_sex) {
    for (s in c("women", "men")) {
      out[[length(out) + 1]] <- c("total", "0", s)
      for (code in sort(unique(d$residence))) out[[length(out) + 1]] <- c("residence", code, s)
    }
  }
  out
}
in_cell <- function(d, cell) {
  dom <- if (cell[1] == "total") rep(TRUE, nrow(d)) else d$residence == as.numeric(cell[2])
  if (cell[3] == "women") dom <- dom & d$sex == 2
  if (cell[3] == "men") dom <- dom & d$sex == 1
  dom & !is.na(d$y)
}
level <- function(d, des, cell) {
  sub <- subset(des, in_cell(d, cell))
  m <- svymean(~y, sub)
  c(coef(m), SE(m), degf(sub))
}
gap <- function(d, des, cell) {
  rows <- in_cell(d, c(cell[1], cell[2], "all")) & d$sex %in% c(1, 2)
  sub <- subset(des, rows)
  b <- svyby(~y, ~sex, sub, svymean, covmat = TRUE)
  g <- svycontrast(b, c(-1, 1))  # sex 2 (women) - sex 1 (men)
  c(coef(g), SE(g), degf(sub))
}
test <- function(prefix, change, se, df) {
  t <- change / se
  put(paste0(prefix, ".change"), change); put(paste0(prefix, ".se"), se)
  put(paste0(prefix, ".t"), t); put(paste0(prefix, ".df"), df)
  put(paste0(prefix, ".p"), 2 * pt(-abs(t), df))
}
contrast_of <- function(b, weights) {
  v <- setNames(rep(0, length(coef(b))), names(coef(b)))
  v[names(weights)] <- weights
  svycontrast(b, v)
}

# independent rounds
folder <- file.path(root, "independent")
rounds <- sort(list.files(folder))
pairs <- list(c(1, 2), c(2, 3), c(1, 3))
for (ind in names(defs)) {
  def <- defs[[ind]]
  data <- lapply(rounds, function(r) read_round(file.path(folder, r), def))
  designs <- lapply(data, design_of)
  has_sex <- !is.null(def$sex)
  est <- list()
  for (i in seq_along(rounds)) {
    for (cell in cells(data[[i]], has_sex)) {
      key <- paste(ind, cell[1], cell[2], cell[3], sep = ".")
      v <- level(data[[i]], designs[[i]], cell)
      est[[paste(key, rounds[i])]] <- v
      k <- paste("lvl", key, rounds[i], sep = ".")
      put(paste0(k, ".est"), v[1]); put(paste0(k, ".se"), v[2]); put(paste0(k, ".df"), v[3])
    }
  }
  for (p in pairs) {
    a <- p[1]; b <- p[2]
    for (cell in cells(data[[a]], has_sex)) {
      key <- paste(ind, cell[1], cell[2], cell[3], sep = ".")
      va <- est[[paste(key, rounds[a])]]; vb <- est[[paste(key, rounds[b])]]
      test(paste("ind", key, rounds[a], rounds[b], sep = "."),
           vb[1] - va[1], sqrt(va[2]^2 + vb[2]^2), va[3] + vb[3])
      if (has_sex && cell[3] == "all") {
        ga <- gap(data[[a]], designs[[a]], cell); gb <- gap(data[[b]], designs[[b]], cell)
        test(paste("ind.gap", ind, cell[1], cell[2], rounds[a], rounds[b], sep = "."),
             gb[1] - ga[1], sqrt(ga[2]^2 + gb[2]^2), ga[3] + gb[3])
      }
    }
  }
}

# panel: the rounds share PSUs; stacked in one design
folder <- file.path(root, "panel")
rounds <- sort(list.files(folder))
for (ind in names(defs)) {
  def <- defs[[ind]]
  parts <- lapply(rounds, function(r) {
    d <- read_round(file.path(folder, r), def)
    d$round <- r
    d[, c("stratum", "psu", "weight_final", "residence", "sex", "y", "round")]
  })
  d <- rbind(parts[[1]], parts[[2]])
  des <- design_of(d)
  has_sex <- !is.null(def$sex)
  for (cell in cells(d, has_sex)) {
    rows <- in_cell(d, cell)
    sub <- subset(des, rows)
    b <- svyby(~y, ~round, sub, svymean, covmat = TRUE)
    w <- setNames(c(-1, 1), rounds)
    ct <- contrast_of(b, w)
    key <- paste("panel", ind, cell[1], cell[2], cell[3], rounds[1], rounds[2], sep = ".")
    test(key, coef(ct), SE(ct), degf(sub))
    if (has_sex && cell[3] == "all") {
      rows <- rows & d$sex %in% c(1, 2)
      sub <- subset(des, rows)
      b <- svyby(~y, ~round + sex, sub, svymean, covmat = TRUE)
      w <- setNames(c(1, -1, -1, 1), c(paste0(rounds[2], ".2"), paste0(rounds[2], ".1"),
                                       paste0(rounds[1], ".2"), paste0(rounds[1], ".1")))
      ct <- contrast_of(b, w)
      key <- paste("panel.gap", ind, cell[1], cell[2], rounds[1], rounds[2], sep = ".")
      test(key, coef(ct), SE(ct), degf(sub))
    }
  }
}

values <- vapply(out, function(v) trimws(formatC(v, digits = 17, format = "g")), "")
write.csv(data.frame(key = names(out), value = values), args[2], row.names = FALSE, quote = FALSE)
