"""The gauge, its reference and its inputs' shapes: configurations, the batched F, the networkx oracle,
baselines and nulls, head statistics, and the differentiable F used in training. No I/O."""
