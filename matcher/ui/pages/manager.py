"""Page script run by st.navigation (not imported): the manager view."""

from matcher.ui.manager import render

render()
