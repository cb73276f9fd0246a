"""Page script run by st.navigation (not imported): the level comparison."""

from matcher.ui.levels import render

render()
