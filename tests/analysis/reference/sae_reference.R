#!/usr/bin/env Rscript
# Independent Fay-Herriot fit for the SAE tests: REML by direct maximisation of the restricted
# log-likelihood (optimize on A, not Fisher scoring), then the EBLUP and the Prasad-Rao MSE for
# REML written from Rao & Molina (2015), ch. 6 (g1 + g2 + 2 g3). Base R only (the sae package
# is not installed). Usage: Rscript sae_reference.R sae_example.csv sae_results.csv
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
y <- d$direct; D <- d$D; X <- cbind(1, d$x1, d$x2)
restricted <- function(A) {
  V <- A + D
  XtVX <- t(X) %*% (X / V)
  b <- solve(XtVX, t(X) %*% (y / V))
  r <- y - X %*% b
  -0.5 * (sum(log(V)) + as.numeric(determinant(XtVX)$modulus) + sum(r^2 / V))
}
A <- optimize(restricted, c(0, 1), maximum = TRUE, tol = 1e-13)$maximum
V <- A + D
XtVX <- t(X) %*% (X / V)
covb <- solve(XtVX)
beta <- covb %*% t(X) %*% (y / V)
syn <- as.vector(X %*% beta)
gam <- A / V
eblup <- gam * y + (1 - gam) * syn
g1 <- gam * D
g2 <- (1 - gam)^2 * rowSums((X %*% covb) * X)
varA <- 2 / sum(1 / V^2)
g3 <- D^2 / V^3 * varA
mse <- g1 + g2 + 2 * g3
out <- c(A = A, beta0 = beta[1], beta1 = beta[2], beta2 = beta[3])
for (i in seq_along(y)) out[paste0(c("eblup.", "mse.", "gamma."), i)] <- c(eblup[i], mse[i], gam[i])
writeLines(c("key,value", sprintf("%s,%.17g", names(out), out)), args[2])
