"""The province's agencies (cơ quan, đơn vị): the tree, receiving points and competent agencies (issue 20)."""
