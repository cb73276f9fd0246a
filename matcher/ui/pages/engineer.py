"""Page script run by st.navigation (not imported): the engineer view."""

from matcher.ui.engineer import render

render()
