// The precompiled headers of the test executables are built with this empty file.
