"""The ``/iocs`` pages for analysts: the landing page (what each feed answers, live numbers, the
newest confirmed IOCs) and the lookup result page. Server-rendered, escaped by Django's autoescape."""
