print("xbar-bench")
