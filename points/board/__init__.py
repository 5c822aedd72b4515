"""The task board: 张榜/揭榜, dispatch, demands (点单), resources and projects."""
