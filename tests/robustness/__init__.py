"""Proof under fire (issue 6): crashes, outages, hostile input and load."""
