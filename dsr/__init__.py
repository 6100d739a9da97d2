"""The ticket domain of rightsbot: model, rules, storage, configuration.

This package imports nothing from intake, classifier, responders or web.
"""
