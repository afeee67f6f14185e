// mlctl's access-control verbs (`tokens create|list|revoke`, `whoami`) and
// how mlctl finds its own token: `--token-file FILE`, else MLCTL_TOKEN,
// else MLCTL_TOKEN_FILE. There is deliberately no option taking the token
// itself: process arguments are readable by every user of the machine.
#pragma once

#include <cstdint>
#include <string>

#include "api_client.h"
#include "commands.h"

namespace mlops::ctl {

// Sets *token ("" when none is configured). False, with *error set, when a
// token file cannot be read, is empty, or holds more than one line.
bool ResolveToken(const std::string& token_file_option, std::string* token, std::string* error);

int TokensCreate(const ApiClient& api, const std::string& name, const std::string& role,
                 const Output& out);
int TokensList(const ApiClient& api, const Output& out);
int TokensRevoke(const ApiClient& api, int64_t id, const Output& out);
int WhoAmI(const ApiClient& api, const Output& out);

}  // namespace mlops::ctl
