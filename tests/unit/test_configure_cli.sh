#!/bin/bash
echo TODO
