"""The Streamlit app's pages: a thin layer over the library (no parsing or scoring here).

- `engineer`: one brag document against one ladder.
- `manager`: a team's documents against one ladder (heatmap and gaps).
- `levels`: the current level against the next one (`matcher.compare`).

`views` and `team` build DataFrames and Altair charts from Reports and import no Streamlit, so they
can be tested on their own; `resources` holds the process-wide caches; `widgets` the shared inputs.
"""
