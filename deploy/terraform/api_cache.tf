# The API's shared cache: CloudFront in front of the API Gateway stage, keyed on the whole query string (and on
# the API key, Accept and Origin, so an answer only goes back to a request that may have it, in its format).
# The Lambda decides what may be kept (lambda_api/cache.py): a timeframe of past days gets an ETag and
# `Cache-Control: public, max-age=0, must-revalidate`, anything reaching today `no-store`. With TTLs of 0
# CloudFront keeps the former and revalidates it on every request (If-None-Match); the Lambda answers 304 while
# the days' data versions are unchanged, so a corrected day is never served from the old copy, and an unchanged
# one costs a version lookup instead of its body. Point `api_base_url` at this distribution's URL (output
# api_cache_url) so `next` links stay behind the cache (it cannot be wired here: the Lambda comes before it).

resource "aws_cloudfront_cache_policy" "api" {
  name        = "${local.name}-api"
  comment     = "smarthome API: whole query string, API key, Accept, Origin; TTLs from the origin's Cache-Control"
  min_ttl     = 0
  default_ttl = 0
  max_ttl     = 86400
  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_gzip   = true
    enable_accept_encoding_brotli = true
    query_strings_config {
      query_string_behavior = "all"
    }
    headers_config {
      header_behavior = "whitelist"
      headers {
        items = ["x-api-key", "Accept", "Origin"]
      }
    }
    cookies_config {
      cookie_behavior = "none"
    }
  }
}

resource "aws_cloudfront_response_headers_policy" "api" {
  name    = "${local.name}-api"
  comment = "Security headers on every answer of the API"
  security_headers_config {
    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }
    content_type_options {
      override = true
    }
    frame_options {
      frame_option = "DENY"
      override     = true
    }
    referrer_policy {
      referrer_policy = "no-referrer"
      override        = true
    }
  }
}

resource "aws_cloudfront_distribution" "api" {
  # checkov:skip=CKV_AWS_68:No WAF by default (cost), as on the stage behind it: the API key, the usage plan's throttling and the Lambda's reserved concurrency bound abuse.
  # checkov:skip=CKV2_AWS_47:No WAF by default (see CKV_AWS_68); the origin runs no Java.
  # checkov:skip=CKV_AWS_86:Requests that reach the origin are in API Gateway's access log; CloudFront standard logs would need an ACL-enabled bucket, which the deployment's buckets refuse (BucketOwnerEnforced).
  # checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate fixes the minimum TLS version; a custom domain with an ACM certificate (TLSv1.2_2021) is a deployment choice.
  # checkov:skip=CKV2_AWS_42:As CKV_AWS_174: a custom certificate comes with a custom domain.
  # checkov:skip=CKV_AWS_305:An API has no root object; `/` is not a route.
  # checkov:skip=CKV_AWS_310:One origin (the API stage); a second region's API would need its own database.
  # checkov:skip=CKV_AWS_374:The API is not restricted by country; the API key restricts it.
  enabled         = true
  comment         = "${local.name} API cache (past days, revalidated by ETag)"
  price_class     = "PriceClass_100"
  http_version    = "http2and3"
  is_ipv6_enabled = true

  origin {
    origin_id   = "api"
    domain_name = "${aws_api_gateway_rest_api.this.id}.execute-api.${var.region}.amazonaws.com"
    origin_path = "/${aws_api_gateway_stage.prod.stage_name}"
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  default_cache_behavior {
    target_origin_id           = "api"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    cache_policy_id            = aws_cloudfront_cache_policy.api.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.api.id
    compress                   = true
  }

  # Errors are not kept: a 403 (missing key) or a 503 must not outlive its cause.
  dynamic "custom_error_response" {
    for_each = [400, 403, 404, 405, 429, 500, 502, 503, 504]
    content {
      error_code            = custom_error_response.value
      error_caching_min_ttl = 0
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
