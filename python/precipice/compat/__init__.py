"""Drop-in replacements with the exact signatures and behaviour of the tools users
already call, computed by precipice."""
