"""Streamlit pages: thin scripts over the package's functions."""
