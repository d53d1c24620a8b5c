"""Anonymized case aggregates: an agency's records → tables under disclosure control → notices.

The agency's side discretises its notices and recorded outcomes into the
attributes of a release spec, tabulates them, and protects the tables by
small-cell suppression (``sdc``) or differential privacy (``dp``, measured
with OpenDP). The researcher's side fits a graphical model to the released
tables (Private-PGM) and samples notices from it. No row, and no
``notice_id``, ever leaves the agency.

Layer: domain. May import notices and contract.
"""
