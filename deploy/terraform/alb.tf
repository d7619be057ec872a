# The Dagster UI behind an Application Load Balancer, off by default (var.ui_load_balancer): HTTPS only (TLS 1.3
# policy; port 80 redirects), every request signed in first by the listener (Cognito user pool, or your OIDC
# provider), then forwarded to the webserver's task on 3000. The webserver itself keeps no public IP; its security
# group admits the load balancer only. ECS Exec cannot reach it (read-only root file system), and Dagster's UI has
# no login of its own, so this sign-in is the UI's only authentication.

locals {
  ui_alb      = var.ui_load_balancer != "none"
  ui_public   = var.ui_load_balancer == "internet-facing"
  ui_subnets  = local.ui_public ? (local.create_vpc ? aws_subnet.public[*].id : var.ui_public_subnet_ids) : local.subnet_ids
  ui_cognito  = local.ui_alb && var.ui_auth == "cognito"
  ui_callback = "https://${var.ui_domain_name}/oauth2/idpresponse"
}

data "aws_elb_service_account" "this" {}

resource "aws_security_group" "ui_alb" {
  count       = local.ui_alb ? 1 : 0
  name        = "${local.name}-ui-alb"
  description = "The UI load balancer: HTTPS (and the redirect from HTTP) in, the webserver out"
  vpc_id      = local.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "ui_alb" {
  for_each          = local.ui_alb ? { for pair in setproduct(var.ui_allowed_cidrs, [443, 80]) : "${pair[0]}-${pair[1]}" => pair } : {}
  security_group_id = aws_security_group.ui_alb[0].id
  description       = each.value[1] == 443 ? "HTTPS to the UI (sign-in required)" : "HTTP, redirected to HTTPS"
  cidr_ipv4         = each.value[0]
  ip_protocol       = "tcp"
  from_port         = each.value[1]
  to_port           = each.value[1]
}

resource "aws_vpc_security_group_egress_rule" "ui_alb_to_webserver" {
  count                        = local.ui_alb ? 1 : 0
  security_group_id            = aws_security_group.ui_alb[0].id
  description                  = "The webserver"
  referenced_security_group_id = aws_security_group.dagster.id
  ip_protocol                  = "tcp"
  from_port                    = 3000
  to_port                      = 3000
}

# Cognito's and the OIDC provider's token endpoints are reached by the load balancer over HTTPS.
resource "aws_vpc_security_group_egress_rule" "ui_alb_https" {
  count             = local.ui_alb ? 1 : 0
  security_group_id = aws_security_group.ui_alb[0].id
  description       = "The identity provider's token and user-info endpoints"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "webserver_from_alb" {
  count                        = local.ui_alb ? 1 : 0
  security_group_id            = aws_security_group.dagster.id
  description                  = "The UI load balancer"
  referenced_security_group_id = aws_security_group.ui_alb[0].id
  ip_protocol                  = "tcp"
  from_port                    = 3000
  to_port                      = 3000
}

resource "aws_lb" "ui" {
  # checkov:skip=CKV2_AWS_28:No WAF by default (cost); every request must sign in at the listener first. Attach a web ACL to this ARN if you expose it widely.
  count                      = local.ui_alb ? 1 : 0
  name                       = "${local.name}-ui"
  internal                   = !local.ui_public
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.ui_alb[0].id]
  subnets                    = local.ui_subnets
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  access_logs {
    bucket  = aws_s3_bucket.access_logs.id
    prefix  = "ui-alb"
    enabled = true
  }
  depends_on = [aws_s3_bucket_policy.access_logs]
  lifecycle {
    precondition {
      condition     = var.ui_certificate_arn != "" && var.ui_domain_name != ""
      error_message = "A UI load balancer needs ui_certificate_arn (ACM, for HTTPS) and ui_domain_name (the sign-in callback)."
    }
    precondition {
      condition     = var.ui_auth == "cognito" || alltrue([for k in ["issuer", "authorization_endpoint", "token_endpoint", "user_info_endpoint", "client_id"] : lookup(var.ui_oidc, k, "") != ""]) && var.ui_oidc_client_secret != ""
      error_message = "ui_auth = \"oidc\" needs ui_oidc (issuer, authorization_endpoint, token_endpoint, user_info_endpoint, client_id) and ui_oidc_client_secret."
    }
    precondition {
      condition     = !local.ui_public || length(local.ui_subnets) >= 2
      error_message = "An internet-facing load balancer needs public subnets in two AZs (ui_public_subnet_ids with vpc_id)."
    }
  }
}

resource "aws_lb_target_group" "ui" {
  count       = local.ui_alb ? 1 : 0
  name        = "${local.name}-ui"
  port        = 3000
  protocol    = "HTTP"
  target_type = "ip"
  vpc_id      = local.vpc_id
  health_check {
    path    = "/server_info"
    matcher = "200"
  }
}

resource "aws_lb_listener" "ui_redirect" {
  count             = local.ui_alb ? 1 : 0
  load_balancer_arn = aws_lb.ui[0].arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "ui" {
  count             = local.ui_alb ? 1 : 0
  load_balancer_arn = aws_lb.ui[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.ui_certificate_arn

  dynamic "default_action" {
    for_each = local.ui_cognito ? [1] : []
    content {
      type  = "authenticate-cognito"
      order = 1
      authenticate_cognito {
        user_pool_arn       = aws_cognito_user_pool.ui[0].arn
        user_pool_client_id = aws_cognito_user_pool_client.ui[0].id
        user_pool_domain    = aws_cognito_user_pool_domain.ui[0].domain
      }
    }
  }
  dynamic "default_action" {
    for_each = local.ui_cognito ? [] : [1]
    content {
      type  = "authenticate-oidc"
      order = 1
      authenticate_oidc {
        issuer                 = lookup(var.ui_oidc, "issuer", "")
        authorization_endpoint = lookup(var.ui_oidc, "authorization_endpoint", "")
        token_endpoint         = lookup(var.ui_oidc, "token_endpoint", "")
        user_info_endpoint     = lookup(var.ui_oidc, "user_info_endpoint", "")
        client_id              = lookup(var.ui_oidc, "client_id", "")
        client_secret          = var.ui_oidc_client_secret
      }
    }
  }
  default_action {
    type             = "forward"
    order            = 2
    target_group_arn = aws_lb_target_group.ui[0].arn
  }
}

# Cognito: a user pool of its own, no self sign-up (an administrator creates each user), MFA by app.
resource "aws_cognito_user_pool" "ui" {
  count                    = local.ui_cognito ? 1 : 0
  name                     = "${local.name}-ui"
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  mfa_configuration        = "OPTIONAL"
  auto_verified_attributes = ["email"]
  username_attributes      = ["email"]
  admin_create_user_config {
    allow_admin_create_user_only = true
  }
  software_token_mfa_configuration {
    enabled = true
  }
  password_policy {
    minimum_length    = 14
    require_lowercase = true
    require_uppercase = true
    require_numbers   = true
    require_symbols   = true
  }
}

resource "aws_cognito_user_pool_domain" "ui" {
  count        = local.ui_cognito ? 1 : 0
  domain       = "${local.name}-ui-${local.account_id}"
  user_pool_id = aws_cognito_user_pool.ui[0].id
}

resource "aws_cognito_user_pool_client" "ui" {
  count                                = local.ui_cognito ? 1 : 0
  name                                 = "${local.name}-ui-alb"
  user_pool_id                         = aws_cognito_user_pool.ui[0].id
  generate_secret                      = true
  allowed_oauth_flows_user_pool_client = true
  allowed_oauth_flows                  = ["code"]
  allowed_oauth_scopes                 = ["openid", "email"]
  callback_urls                        = [local.ui_callback]
  supported_identity_providers         = ["COGNITO"]
}
