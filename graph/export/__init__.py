"""Exports of the knowledge base: RDF serialisations, decision-tree diagrams, FHIR."""
