"""Refrain's Streamlit explorer. It only draws: every decision about text, scores and state is in `index/`."""
