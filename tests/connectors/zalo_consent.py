"""The OA administrator at Zalo's permission page (the emulator's): open the authorization URL, read the
form as a browser would, press "Cho phép" and get the redirect Zalo sends the browser to."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin

import requests


def approve(http: requests.Session, authorization_url: str, *, decision: str = "allow") -> requests.Response:
    """Walk the page: GET it, submit its form with `decision`; the answer (a 302 to the app's callback when
    allowed) is returned unfollowed."""
    page = http.get(authorization_url, timeout=10)
    assert page.status_code == 200, page.text
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action, page.text
    fields = {name: unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text)}
    return http.post(urljoin(page.url, action.group(1)), data={**fields, "decision": decision},
                     allow_redirects=False, timeout=10)
