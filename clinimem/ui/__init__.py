"""The clinician Q&A page (Gradio). Imported only by ``clinimem serve`` / ``clinimem demo``.

``import clinimem`` never pulls in gradio: import :mod:`clinimem.ui.app` for
:func:`~clinimem.ui.app.build_app` and :func:`~clinimem.ui.app.serve`.
"""
