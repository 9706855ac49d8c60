"""What the gauge is applied to: models (embedded stand-ins, hub ids, folders, random-init controls),
the hub, devices, attention extraction, and the text corpora."""
