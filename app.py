"""evidence-matcher's web app: `make run`, or
`streamlit run app.py --server.address 127.0.0.1 --browser.gatherUsageStats false`.

Only navigation lives here; each page is a small script under matcher/ui/pages/ that calls the
page's render() in matcher/ui/. Pages are files, not callables, so AppTest.switch_page opens them.
"""

import streamlit as st

# An emoji favicon is drawn in the page; a :material/...: one is fetched from fonts.gstatic.com.
st.set_page_config(page_title="Evidence matcher", page_icon="📋", layout="wide")

PAGES = [
    st.Page("matcher/ui/pages/engineer.py", title="My evidence", icon=":material/person:", default=True),
    st.Page("matcher/ui/pages/manager.py", title="Team view", icon=":material/groups:"),
    st.Page("matcher/ui/pages/levels.py", title="Next level", icon=":material/trending_up:"),
]

# WCAG AA: Streamlit fades captions to 60% opacity (3.9:1 on white); these are 8:1.
st.html(
    "<style>[data-testid=stCaptionContainer], [data-testid=stCaptionContainer] p, .stCaption"
    " { color: #4a4c55 !important; opacity: 1 !important; }</style>"
)

page = st.navigation(PAGES)
st.sidebar.caption(
    "Runs on this machine. What you paste or upload stays in memory for your session and is never written to "
    "disk, unless you save it to a workspace."
)
page.run()
