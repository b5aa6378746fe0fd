"""民心通 (MinxinBot): answers residents about their district's 民心工程 list."""
