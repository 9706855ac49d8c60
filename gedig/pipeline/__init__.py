"""The scoring pipeline: a batch through the model and the gauge, tables scored and cached, the Ray
executor, the cross-executor contract, and the benchmark."""
