#!/bin/sh
echo "Hello from $(hostname), a devc workspace running $(uname -sr) as $(id -un)."
