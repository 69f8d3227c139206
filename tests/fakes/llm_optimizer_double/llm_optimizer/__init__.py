"""Test double of BentoML's llm-optimizer (github.com/bentoml/llm-optimizer), for config-explorer's tests.

Same module layout, signatures and record fields as upstream's ``common``, ``performance`` and
``predefined.gpus``; strict checks on the arguments it receives; simple, deterministic arithmetic that
is NOT upstream's method. Never install it: tests put its folder on ``sys.path`` for one test at a time.
"""

IS_TEST_DOUBLE = True
