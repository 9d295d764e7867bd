/// @file progress.hpp
/// @brief Progress policies for pull_image: what to do with each message of the pull stream.
///
/// - progress::silent: nothing (the default).
/// - progress::terminal, progress::plain, progress::for_fd: the Docker CLI's display, byte for byte.
/// - progress::callback: typed events for programs; progress::aggregate: all layers as one total.
/// - any type with on_message(const json_message&) (the ProgressPolicy concept).
#pragma once

#include "imagepull/progress/display.hpp"
#include "imagepull/progress/events.hpp"
#include "imagepull/progress/format.hpp"
#include "imagepull/progress/policy.hpp"
#include "imagepull/progress/tty.hpp"
