"""红松分: a community's dual points system (红松分 and 兴安分) as a Flask service.

The app is built by `points.app.create_app`; `README.md` says how the code is laid out.
"""
