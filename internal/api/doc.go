// Package api is the HTTP face of kvsd: REST-JSON routing for every path of
// the five KVS services on one port, SigV4 verification, CORS, request IDs,
// body limits, the JSON shapes of each action, and the one table that maps
// domain errors to AWS error names and HTTP statuses.
//
// AWS protocol details (x-amzn-ErrorType, epoch-second timestamps, empty
// bodies for actions without output) live here and nowhere else.
//
// Protocol: https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html
package api
