"""Cases referred to the board, and each role's presentation of them."""
