"""People coming in: self-registration with consent and a verified phone, and staff confirming them."""
