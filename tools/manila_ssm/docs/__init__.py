"""Rendered docs: an OpenAPI document as one static, self-contained HTML page."""

from manila_ssm.docs._html import render_html

__all__ = ["render_html"]
