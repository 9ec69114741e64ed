"""A synthetic Lạng Sơn survey: frame, two-stage sample, weights and answers to every form.

``gesurvey simulate`` (:mod:`analysis.synthetic.cli`) runs :class:`~analysis.synthetic.run.
Simulator`; the modules follow the pipeline:

- :mod:`~analysis.synthetic.frame`: villages per commune per district from the census figures
  in ``analysis/data/langson_frame.csv``;
- :mod:`~analysis.synthetic.design`: strata, PPS villages, 20 households each, forms A/B;
- :mod:`~analysis.synthetic.people`: rosters, the selected adult, response;
- :mod:`~analysis.synthetic.answers` with :mod:`questionnaires.vectorised`: answers for any
  questionnaire within its own rules; :mod:`~analysis.synthetic.behaviour`: the effect sizes;
- :mod:`~analysis.synthetic.weights`: base, adjusted and final weights (analysis.weighting);
- :mod:`~analysis.synthetic.export`: the tables, data dictionary and README.

Nothing is imported here, so that ``gesurvey`` starts without loading numpy and pandas for it.
"""
