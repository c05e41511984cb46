"""The record: the models and their rules, the corpus, the claim store, anchoring, the
service every change goes through (`service.Workspace`) and the whole-record check."""
